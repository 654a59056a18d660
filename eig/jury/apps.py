from django.apps import AppConfig


class JuryConfig(AppConfig):
    name = "eig.jury"
    label = "jury"
    verbose_name = "Jurys"

    def ready(self):
        from eig.history import labels
        from eig.jury import models

        # Registered on the abstract models: every domain's evaluations, reviews share them.
        labels.register(
            models.AbstractEvaluation,
            actions=models.EvaluationAction,
            states=models.AbstractEvaluation.State,
        )
        labels.register(
            models.AbstractReview,
            actions=models.ReviewAction,
            states=models.AbstractReview.Decision,
        )
        labels.register(models.AbstractReview, states=models.AbstractReview.Opinion)
        labels.register(models.JuryMember, actions=models.MemberAction)
        labels.register(models.JuryGroup, actions=models.GroupAction)
        labels.register(models.HearingSlot, actions=models.SlotAction)
        labels.register(models.DecisionLetter, actions=models.LetterAction)

        from eig.accounts.personal_data import register_personal_data
        from eig.jury.personal_data import jury_personal_data

        register_personal_data("jury", jury_personal_data)
