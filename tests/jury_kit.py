"""One face for the jury engine's tests over every domain they run on.

The `kit` fixture (tests/conftest.py) gives each engine test a `DefiKit` then an `EntryKit`:
the same calls build a jury, its dossiers and its members whatever a dossier is, and the
members in conflict or of matching expertise by that domain's own rules. An engine test
written against the kit cannot lean on what only défis have.
"""

import itertools

from eig.history.selectors import history_for
from eig.jury.domain import JuryDomain
from eig.jury.models import Jury, JuryMember
from projects.jury import DEFI_JURY
from projects.models import Defi
from tests.factories import (
    AgentFactory,
    ClosedProjectCallFactory,
    DefiFactory,
    JuryMemberFactory,
    ProjectCallFactory,
    jury_for_call,
    jury_with_grid,
    submitted_defi,
)
from tests.jury_domain.factories import ClosedEntryCallFactory, EntryCallFactory, EntryFactory
from tests.jury_domain.jury import ENTRY_JURY, email_domain
from tests.jury_domain.models import Entry

_numbers = itertools.count(1)


class JuryKit:
    domain: JuryDomain
    key: str
    # The dossier's field that names it to staff (`FIELDS` of the ranking's rows).
    label_field: str
    State: type

    def jury(self, *, criteria: int = 3, jurors: int = 0, k: int = 2, closed: bool = False) -> Jury:
        """A jury on a call of its own (open unless `closed`: submissions over), with a grid
        of `criteria` lines (weights 1, 2, 1…) and `jurors` members without conflicts."""
        raise NotImplementedError

    def dossier(self, jury: Jury, *, name: str | None = None, state: str = "submitted", **kw):
        """A dossier in `jury`'s call, submitted unless `state` says otherwise; `name` is what
        identifies it (a défi's title, an applicant's name)."""
        raise NotImplementedError

    def other_dossier(self):
        """A submitted dossier of another jury, whose call is closed."""
        return self.dossier(self.jury(closed=True))

    def call(self, jury: Jury):
        return self.domain.jury_call(jury)

    def member(self, jury: Jury, **kwargs) -> JuryMember:
        return JuryMemberFactory(jury=jury, **kwargs)

    def conflicting_member(self, jury: Jury, dossier) -> JuryMember:
        """A member in automatic conflict with `dossier` by the domain's own rule."""
        raise NotImplementedError

    def expert_member(self, jury: Jury, dossier) -> JuryMember:
        """A member whose expertise fits `dossier` by the domain's own rule."""
        raise NotImplementedError

    def review(self, dossier):
        return self.domain.review_model.objects.filter(
            **{self.domain.dossier_field: dossier}
        ).first()

    def evaluations(self, **filters):
        return self.domain.evaluation_model.objects.filter(**filters)

    def evaluations_of(self, dossier):
        return self.evaluations(**{self.domain.dossier_field: dossier})

    def conflicts(self):
        return self.domain.conflict_model.objects.all()

    def pairs(self, jury: Jury) -> set[tuple[int, int]]:
        return set(
            self.domain.evaluations(jury).values_list(self.domain.dossier_id_field, "member_id")
        )

    def state(self, dossier) -> str:
        dossier.refresh_from_db()
        return dossier.state

    def set_state(self, dossier, state: str) -> None:
        type(dossier).objects.filter(pk=dossier.pk).update(state=state)

    def transitions(self, dossier) -> list[tuple[str, str]]:
        """The dossier's history, oldest first, as (from, to)."""
        return [(row.from_state, row.to_state) for row in self._history(dossier)]

    def last_transition(self, dossier):
        row = list(self._history(dossier))[-1]
        return row.from_state, row.to_state, row.actor

    def _history(self, dossier):
        # Every domain's dossier moves are written to the one history.
        return history_for(dossier).exclude(to_state="")

    def recipients(self, dossier) -> list[str]:
        return self.domain.dossier_recipients(dossier)

    def owner_email(self, dossier) -> str:
        """The address of the person who wrote the dossier."""
        raise NotImplementedError

    def add_recipient(self, dossier) -> list[str]:
        """Someone else who answers for the dossier, if the domain has such people: their
        addresses (empty when the dossier has one person only)."""
        return []

    def your_dossier(self, dossier) -> str:
        """How mails to a dossier's recipients name it: « votre défi « … » »."""
        raise NotImplementedError

    def identity(self, dossier) -> list[str]:
        """What identifies who carries the dossier: an anonymous jury never shows it."""
        return []


class DefiKit(JuryKit):
    domain = DEFI_JURY
    key = "defis"
    label_field = "title"
    State = Defi.State

    def jury(self, *, criteria=3, jurors=0, k=2, closed=False):
        call = (ClosedProjectCallFactory if closed else ProjectCallFactory)()
        return jury_for_call(call, criteria=criteria, jurors=jurors, k=k)

    def dossier(self, jury, *, name=None, state="submitted", **kwargs):
        if name is not None:
            kwargs["title"] = name
        if state == Defi.State.SUBMITTED:
            return submitted_defi(jury.project_call, **kwargs)
        return DefiFactory(call=jury.project_call, state=state, **kwargs)

    def conflicting_member(self, jury, dossier):
        return JuryMemberFactory(jury=jury, user__administration=dossier.administration)

    def expert_member(self, jury, dossier):
        sought = dossier.positions.order_by("rank").values_list("specialty", flat=True).first()
        return JuryMemberFactory(jury=jury, expertise=[sought])

    def owner_email(self, dossier):
        return dossier.owner.email

    def add_recipient(self, dossier):
        colleague = AgentFactory(administration=dossier.administration)
        dossier.collaborators.add(colleague)
        return [colleague.email]

    def your_dossier(self, dossier):
        return f"votre défi « {dossier} »"

    def identity(self, dossier):
        return [dossier.title, str(dossier.administration), dossier.owner.email]


class EntryKit(JuryKit):
    domain = ENTRY_JURY
    key = "entries"
    label_field = "full_name"
    State = Entry.State

    def jury(self, *, criteria=3, jurors=0, k=2, closed=False):
        jury = jury_with_grid(criteria=criteria, jurors=jurors, k=k, domain=self.key)
        (ClosedEntryCallFactory if closed else EntryCallFactory)(jury=jury)
        return jury

    def dossier(self, jury, *, name=None, state="submitted", **kwargs):
        if name is not None:
            kwargs["full_name"] = name
        return EntryFactory(call=jury.entry_call, state=state, **kwargs)

    def conflicting_member(self, jury, dossier):
        number = next(_numbers)
        return JuryMemberFactory(
            jury=jury, user__email=f"jure.{number}@{email_domain(dossier.email)}"
        )

    def expert_member(self, jury, dossier):
        return JuryMemberFactory(jury=jury, expertise=[dossier.specialty])

    def owner_email(self, dossier):
        return dossier.email

    def your_dossier(self, dossier):
        return f"votre candidature à « {dossier.call} »"

    def identity(self, dossier):
        return [dossier.full_name, dossier.email]


KITS = {kit.key: kit for kit in (DefiKit(), EntryKit())}
