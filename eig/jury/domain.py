"""How the jury engine reaches one kind of dossier.

The engine's services and selectors are written once; each domain (défis in `projects`,
applications in `candidates`) hands them a `JuryDomain` naming its concrete models and its
two rules that depend on what a dossier is: automatic conflicts and matching expertise.
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet

from eig.jury.models import (
    AbstractConflict,
    AbstractEvaluation,
    AbstractReview,
    AbstractScore,
    Jury,
    JuryMember,
)

# (dossier pk, member pk) -> why they are in conflict, in French.
ConflictMap = dict[tuple[int, int], str]


@dataclass(frozen=True)
class DossierNouns:
    """How the engine's pages and mails name a domain's dossiers, in French: « un défi »,
    « une candidature »."""

    singular: str = "dossier"
    plural: str = "dossiers"
    feminine: bool = False

    @property
    def a(self) -> str:
        return f"{'une' if self.feminine else 'un'} {self.singular}"

    @property
    def the(self) -> str:
        if self.singular[:1].lower() in "aeéèêiouyh":
            return f"l'{self.singular}"
        return f"{'la' if self.feminine else 'le'} {self.singular}"

    @property
    def this(self) -> str:
        if self.feminine:
            return f"cette {self.singular}"
        vowel = self.singular[:1].lower() in "aeéèêiouyh"
        return f"{'cet' if vowel else 'ce'} {self.singular}"

    @property
    def none(self) -> str:
        return f"{'aucune' if self.feminine else 'aucun'} {self.singular}"


@dataclass(frozen=True)
class JuryDomain:
    # The registry's key (`registry.register`), stored in `Jury.domain` and used in URLs.
    key: str
    nouns: DossierNouns
    dossier_field: str
    evaluation_model: type[AbstractEvaluation]
    score_model: type[AbstractScore]
    conflict_model: type[AbstractConflict]
    review_model: type[AbstractReview]
    # The dossiers a jury evaluates (for défis: those submitted to the jury's call).
    dossiers: Callable[[Jury], QuerySet]
    # Conflicts the data implies, for these members and dossiers.
    automatic_conflicts: Callable[[Iterable[JuryMember], Iterable], ConflictMap]
    # (dossier pk, member pk) pairs where the juror's expertise fits the dossier.
    expertise_pairs: Callable[[Iterable[JuryMember], Iterable], set[tuple[int, int]]]
    # The juror's page listing their evaluations, linked from the engine's mails.
    dashboard_url: Callable[[], str]

    # --- Pre-selection, hearings, deliberation (`shortlist`, `hearings`, `decisions`) ----
    # Dotted path of this object (e.g. "projects.jury.DEFI_JURY"): the Celery tasks of the
    # engine take it, as a string, to find the domain again in the worker.
    import_path: str = ""
    # Moves the dossier's own state with its history, on behalf of the jury:
    # `(dossier=, to_state=, actor=, note=, now=)`, `to_state` being "shortlisted",
    # "submitted" (taken off the shortlist) or a `Decision` value. Raises a domain error when
    # the dossier's state forbids the move. Default: the dossier has no state of its own.
    dossier_transition: Callable[..., Any] = lambda **kwargs: None
    # The e-mail addresses that answer for a dossier: convocations and decisions go there.
    dossier_recipients: Callable[[Any], list[str]] = lambda dossier: []
    # Who carries the dossier, as the decision record names them (the administration), and
    # the heading of that column.
    dossier_holder: Callable[[Any], str] = lambda dossier: ""
    holder_label: str = "Porteur"
    # What the jury selects for: its str and `.promotion` head the decision record.
    jury_call: Callable[[Jury], Any] = lambda jury: None
    # Convocation and decision mails are `templates/emails/<mail_prefix><name>.txt`.
    mail_prefix: str = "jury_"
    # The dossier's field holding the number of its current submitted version (défis:
    # "submitted_version"). Each save of an evaluation records it in the evaluation's
    # `dossier_version`, so that an evaluation made on an earlier text shows as such.
    # Empty: the domain's dossiers are not versioned.
    dossier_version_field: str = ""

    # --- What jurors may see ------------------------------------------------------------
    # How staff name a dossier in lists (défis: their title).
    dossier_label: Callable[[Any], str] = str
    # An anonymous domain never shows a juror who carries a dossier: juror pages, mails,
    # exports and PDFs name it by `anonymous_label` and show only `juror_fields`.
    anonymous: bool = False
    anonymous_label: Callable[[Any], str] = lambda dossier: f"Dossier n° {dossier.pk:05d}"
    # The dossier's fields a juror may read, as (attribute, French label) pairs; empty means
    # the domain renders the dossier for jurors with `juror_template` alone.
    juror_fields: tuple[tuple[str, str], ...] = ()
    # The template that renders a dossier on the juror's evaluation page (context: `dossier`).
    juror_template: str = ""

    def label_for_juror(self, dossier) -> str:
        return self.anonymous_label(dossier) if self.anonymous else self.dossier_label(dossier)

    @property
    def dossier_id_field(self) -> str:
        return f"{self.dossier_field}_id"

    def dossier_current_version(self, evaluation) -> int | None:
        """The number of the current version of the evaluation's dossier, read now."""
        if not self.dossier_version_field:
            return None
        dossier_model = self.evaluation_model._meta.get_field(self.dossier_field).related_model
        return (
            dossier_model.objects.filter(pk=getattr(evaluation, self.dossier_id_field))
            .values_list(self.dossier_version_field, flat=True)
            .first()
        )

    def evaluations(self, jury: Jury, stage=None) -> QuerySet:
        """The jury's evaluations, of every stage unless `stage` is given."""
        evaluations = self.evaluation_model.objects.filter(member__jury=jury)
        return evaluations if stage is None else evaluations.filter(stage=stage)
