"""The sections of the application form, in the order of the programme's last form
(promotion 7). The form, the progress list and the completeness check read this table."""

# The défi form's section record serves here too: key, title, intro, its fields, those a
# submission requires, and `special` for a section that is not plain fields (the wishes).
from projects.sections import Section

SECTIONS: tuple[Section, ...] = (
    Section(
        "presentation",
        "Présentation et CV",
        "Qui vous êtes, votre CV et, si vous le souhaitez, un portfolio et vos profils en ligne.",
        fields=(
            "presentation",
            "cv",
            "cv_anonymised",
            "portfolio",
            "github_url",
            "gitlab_url",
            "linkedin_url",
            "website_url",
        ),
        required=("presentation", "cv"),
    ),
    Section(
        "competences",
        "Compétences principales et complémentaires",
        "Votre métier parmi ceux du programme, et ce que vous savez faire.",
        fields=("specialty", "skills_main", "skills_secondary"),
        required=("specialty", "skills_main"),
    ),
    Section(
        "experience",
        "Expérience",
        "Votre expérience dans votre métier et dans l'entrepreneuriat.",
        fields=("years_experience", "experience_specialty", "experience_entrepreneurship"),
        required=("years_experience", "experience_specialty"),
    ),
    Section(
        "motivation",
        "Motivation",
        "Pourquoi rejoindre le programme et l'administration pendant dix mois.",
        fields=("motivation",),
        required=("motivation",),
    ),
    Section(
        "voeux",
        "Vœux",
        "De 3 à 5 postes, par ordre de préférence, parmi ceux des défis qui recherchent votre "
        "métier.",
        special="wishes",
    ),
    Section(
        "informations",
        "Informations personnelles",
        "Vos coordonnées, votre mobilité et votre disponibilité.",
        fields=(
            "civility",
            "phone",
            "employer",
            "birth_year",
            "mobility",
            "available_on",
            "talent_pool_consent",
        ),
        required=("phone", "birth_year", "mobility", "available_on"),
    ),
)

SECTIONS_BY_KEY = {section.key: section for section in SECTIONS}
