"""What an anonymous pre-selection hides, and where a candidate gave themselves away.

For an anonymous call, the jurors of the pre-selection read the application without who
wrote it. The programme asked the candidates of promotion 6 for « pièces anonymisées »:
the platform hides the identity it holds, and warns a candidate whose own answers name
them (their name, e-mail, phone, profile links), which no platform could hide."""

import re

from candidates.models import Application
from eig.text import fold

# What jurors of an anonymous pre-selection read, and what they never see.
JURORS_SEE = (
    "votre métier et vos années d'expérience",
    "vos compétences, votre expérience et votre motivation",
    "vos vœux",
    "votre CV anonymisé, si vous en déposez un",
)
JURORS_NEVER_SEE = (
    "votre nom et votre civilité",
    "votre e-mail, votre téléphone et votre année de naissance",
    "vos liens (GitHub, GitLab, LinkedIn, site)",
    "votre CV d'origine et votre portfolio",
)
# The free texts jurors read.
READ_BY_JURORS = (
    "presentation",
    "skills_main",
    "skills_secondary",
    "experience_specialty",
    "experience_entrepreneurship",
    "motivation",
)


def _digits(text: str) -> str:
    return re.sub(r"\D", "", text or "")


def identity_leaks(application: Application, user) -> list[str]:
    """Sentences naming each free text read by jurors that contains the candidate's name,
    e-mail, phone or one of their profile links; empty when none does."""
    words = {
        "votre nom": [
            name for name in (fold(user.first_name), fold(user.last_name)) if len(name) >= 3
        ],
        "votre adresse e-mail": [fold(user.email)] if user.email else [],
        "un de vos liens": [
            fold(re.sub(r"^https?://(www\.)?", "", url).rstrip("/"))
            for url in (
                application.github_url,
                application.gitlab_url,
                application.linkedin_url,
                application.website_url,
            )
            if url
        ],
    }
    phone = _digits(application.phone)[-9:]  # the number without its country prefix
    leaks = []
    for name in READ_BY_JURORS:
        text = getattr(application, name) or ""
        folded = fold(text)
        found = [
            what
            for what, needles in words.items()
            if any(re.search(rf"(?<!\w){re.escape(needle)}(?!\w)", folded) for needle in needles)
        ]
        if len(phone) == 9 and phone in _digits(text):
            found.append("votre téléphone")
        if found:
            label = Application._meta.get_field(name).verbose_name
            leaks.append(f"« {str(label).capitalize()} » contient {', '.join(found)}.")
    # The original CV goes to no juror; its file name tells whether the candidate names
    # their files, and so likely their anonymised CV too.
    filename = fold(re.sub(r"[-_.]+", " ", application.cv_filename or ""))
    if any(
        re.search(rf"(?<!\w){re.escape(needle)}(?!\w)", filename) for needle in words["votre nom"]
    ):
        leaks.append(
            f"Le nom du fichier de votre CV, « {application.cv_filename} », contient votre nom : "
            "vérifiez que votre CV anonymisé ne le contient pas."
        )
    return leaks
