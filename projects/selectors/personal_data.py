"""The défis part of a person's personal-data export."""

from eig.accounts.models import User
from projects.selectors.defis import defi_list_for_editor


def defi_personal_data(user: User) -> list[dict]:
    """The défis a person writes, for their personal-data export."""
    return [
        {
            "id": defi.pk,
            "titre": defi.title,
            "appel": str(defi.call),
            "administration": str(defi.administration),
            "etat": defi.get_state_display(),
            "role": "auteur" if defi.owner_id == user.pk else "co-rédacteur",
            "cree_le": defi.created_at.isoformat(),
            "depose_le": defi.submitted_at.isoformat() if defi.submitted_at else None,
            "historique": [
                {
                    "le": t.at.isoformat(),
                    "de": t.from_state,
                    "vers": t.to_state,
                    "par_vous": t.actor_id == user.pk,
                }
                for t in defi.history
            ],
        }
        for defi in defi_list_for_editor(user)
    ]
