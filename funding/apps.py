from django.apps import AppConfig


class FundingConfig(AppConfig):
    # Conventions, their PDFs, versions and signatures, and the budget follow-up.
    name = "funding"
    verbose_name = "Financement et conventions"
