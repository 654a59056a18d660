from django.apps import AppConfig


class MissionsConfig(AppConfig):
    # Missions in selected défis, matching, placements and the promotion's follow-up.
    name = "missions"
    verbose_name = "Missions et suivi de promotion"
