"""How the jury engine reaches one kind of dossier.

The engine's services and selectors are written once; each domain (one per app whose
dossiers a jury scores) hands them a `JuryDomain` naming its concrete models and its
two rules that depend on what a dossier is: automatic conflicts and matching expertise.
"""

import datetime
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Q, QuerySet

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
    """How the engine's pages and mails name a domain's dossiers, in French: « une candidature »,
    « un dossier »."""

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

    @property
    def of(self) -> str:
        """« du dossier », « de la candidature », « de l'audition »."""
        the = self.the
        if the.startswith("le "):
            return f"du {self.singular}"
        return f"de {the}"

    @property
    def e(self) -> str:
        """The ending of a participle agreeing with the noun: « déposé{{ nouns.e }} »."""
        return "e" if self.feminine else ""

    @property
    def these(self) -> str:
        return f"ces {self.plural}"


@dataclass(frozen=True)
class DossierGroup:
    """A field that splits a jury's dossiers for its deliberation (candidates by métier):
    the deliberation page shows one group at a time and sends its decisions."""

    field: str
    label: str
    # The groups, as (value, label): read when the page is built (a référentiel may grow).
    choices: Callable[[], list[tuple[str, str]]]


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
    # The dossiers a jury evaluates (for a call: those submitted to it).
    dossiers: Callable[[Jury], QuerySet]
    # Conflicts the data implies, for these members and dossiers.
    automatic_conflicts: Callable[[Iterable[JuryMember], Iterable], ConflictMap]
    # (dossier pk, member pk) pairs where the juror's expertise fits the dossier.
    expertise_pairs: Callable[[Iterable[JuryMember], Iterable], set[tuple[int, int]]]
    # The juror's page listing their evaluations, linked from the engine's mails.
    dashboard_url: Callable[[], str]

    # --- Pre-selection, hearings, deliberation (`shortlist`, `hearings`, `decisions`) ----
    # Dotted path of this object (e.g. "<app>.jury.<DOMAIN>"): the Celery tasks of the
    # engine take it, as a string, to find the domain again in the worker.
    import_path: str = ""
    # Moves the dossier's own state with its history, on behalf of the jury:
    # `(dossier=, to_state=, actor=, note=, now=)`, `to_state` being "shortlisted",
    # "submitted" (taken off the shortlist) or a `Decision` value. Raises a domain error when
    # the dossier's state forbids the move. Default: the dossier has no state of its own.
    dossier_transition: Callable[..., Any] = lambda **kwargs: None
    # The e-mail addresses that answer for a dossier: convocations and decisions go there.
    dossier_recipients: Callable[[Any], list[str]] = lambda dossier: []
    # The accounts that carry a dossier and book its slot where its owners book
    # (`bookings.py`, the `jury.book_slot` rule). Default: nobody books.
    dossier_owners: Callable[[Any], list] = lambda dossier: []
    # How long before a slot starts its owners stop booking, moving or cancelling it (the
    # candidates' « until 48 hours before »), on top of the slot's own booking deadline:
    # the earlier of the two closes it. None: only the deadline (and the start) do.
    booking_notice: datetime.timedelta | None = None
    # Who carries the dossier, as the decision record names them (an administration, a
    # candidate…), and the heading of that column.
    dossier_holder: Callable[[Any], str] = lambda dossier: ""
    holder_label: str = "Porteur"
    # What the jury selects for: its str and `.promotion` head the decision record.
    jury_call: Callable[[Jury], Any] = lambda jury: None
    # Convocation and decision mails are `templates/emails/<mail_prefix><name>.txt`.
    mail_prefix: str = "jury_"
    # The dossier's field holding the number of its current submitted version (e.g.
    # "submitted_version"). Each save of an evaluation records it in the evaluation's
    # `dossier_version`, so that an evaluation made on an earlier text shows as such.
    # Empty: the domain's dossiers are not versioned.
    dossier_version_field: str = ""

    # --- What jurors may see ------------------------------------------------------------
    # How staff name a dossier in lists (e.g. its title).
    dossier_label: Callable[[Any], str] = str
    # An anonymous jury never shows a juror who carries a dossier: juror pages, mails,
    # exports and PDFs name it by `anonymous_label` and show only `juror_fields` (or what
    # `juror_template` prints, told `anonymous`). `anonymous` holds for every jury of the
    # domain, unless `anonymous_for` decides jury by jury (e.g. as its call says): ask
    # `is_anonymous(jury)`, never the flag.
    anonymous: bool = False
    anonymous_for: Callable[[Jury], bool] | None = None
    anonymous_label: Callable[[Any], str] = lambda dossier: f"Dossier n° {dossier.pk:05d}"
    # The dossier's fields a juror may read, as (attribute, French label) pairs; empty means
    # the domain renders the dossier for jurors with `juror_template` alone.
    juror_fields: tuple[tuple[str, str], ...] = ()
    # The template that renders a dossier on the juror's evaluation page (context: `dossier`).
    juror_template: str = ""
    # What else that template reads, from the dossier (e.g. its sections).
    juror_context: Callable[[Any], dict] = lambda dossier: {}

    # --- The engine's screens (`eig/jury/views/`) ---------------------------------------
    # The lookup from a dossier to its jury (e.g. "call__jury"): staff lists count each
    # jury's dossiers through it.
    jury_path: str = ""
    # The dossier's state field and the states in which it is before the jury; empty: every
    # dossier `dossiers(jury)` returns is.
    state_field: str = "state"
    jury_states: tuple[str, ...] = ()
    # The jury's relations its pages read (e.g. the call and its promotion), and which
    # juries of the domain the screens serve (e.g. those attached to a call).
    jury_related: tuple[str, ...] = ()
    jury_filter: Callable[[], Q] = Q
    # What the juror's evaluation page reads of the dossier, from the dossier.
    juror_related: tuple[str, ...] = ()
    juror_prefetch: tuple[str, ...] = ()
    # The fields staff tables read of 2,000 dossiers (their texts are long), and those the
    # conflicts page reads, which the automatic conflict rule needs too. Empty: all.
    list_fields: tuple[str, ...] = ()
    conflict_fields: tuple[str, ...] = ()
    # What the automatic conflict rule reads of a juror, from the member (e.g.
    # "user__administration__kind"): the assignment page loads the pool for the rule and its
    # lists of jurors, which read only names besides. Empty: all.
    member_fields: tuple[str, ...] = ()
    # How many (dossier, juror) pairs are in conflict in the jury (`members`: its active
    # members), for the assignment page; None: counted from `jury_conflicts`.
    conflict_count: Callable[[Jury, list], int] | None = None
    # The instant selection starts (pre-selection and deliberation wait for it); None: now.
    selection_starts_at: Callable[[Jury], Any] = lambda jury: None
    # The dossier's title and holder as the staff tables print them (ranking, assignment):
    # fields of the dossier, "" when it has none; `holder_label` heads the holder's column.
    title_field: str = ""
    holder_field: str = ""
    # Staff pages of the dossier itself, outside the engine: its full text (`read`) and its
    # preview (`preview`), or "" when the domain has none.
    dossier_read_url: Callable[[Any], str] = lambda dossier: ""
    dossier_preview_url: Callable[[Any], str] = lambda dossier: ""
    # Who carries a dossier and receives its convocation and decision, in a sentence:
    # « envoyée à … », « un lien avec … qui le porte ».
    recipients_label: str = "la personne"
    # What the jury selects for, as the pages name it before its title: « appel à projets »,
    # « appel à candidatures ».
    call_noun: str = "appel"
    # The automatic conflicts in a sentence, for the juror's conflicts page (empty: none).
    automatic_conflicts_label: str = ""
    # What changed in the dossier since its submitted version `number` (see
    # the domain's version history), or None.
    changes_since: Callable[[Any, int | None], Any] = lambda dossier, number: None
    # --- The deliberation ---
    # The decisions as the domain names them (« Admise au vivier »), over
    # `AbstractReview.Decision`'s labels.
    decision_labels: dict[str, str] = field(default_factory=dict, compare=False)
    # Per decision, the reasons staff choose from, as (code, label), in the domain's own
    # wording; a decision with a list needs one of them.
    decision_reasons: dict[str, tuple[tuple[str, str], ...]] = field(
        default_factory=dict, compare=False
    )
    # Per decision, the default (subject, text) of its mail, which staff may rewrite for
    # their jury (`DecisionLetter`); without it, the `<mail_prefix>decision_<decision>`
    # template.
    decision_letters: dict[str, tuple[str, str]] = field(default_factory=dict, compare=False)
    # The decisions wait until staff send them together (`decisions.decisions_send`), once
    # the deliberation is over, instead of leaving one by one as they are taken.
    decisions_sent_together: bool = False
    # Told the pks of the dossiers whose decision was just mailed, and when (the candidate
    # reads a decision once it is sent).
    decisions_sent: Callable[[list[int], Any], Any] = lambda pks, now: None
    # The deliberation goes group by group (see `DossierGroup`), or as one list.
    dossier_group: DossierGroup | None = None

    @property
    def dossier_model(self):
        return self.evaluation_model._meta.get_field(self.dossier_field).related_model

    @property
    def evaluations_relation(self) -> str:
        """The dossier's evaluations, as a lookup from the dossier ("evaluations")."""
        return self.evaluation_model._meta.get_field(self.dossier_field).related_query_name()

    @property
    def review_relation(self) -> str:
        """The dossier's reviews (one per stage), as a lookup from the dossier ("review")."""
        return self.review_model._meta.get_field(self.dossier_field).related_query_name()

    def review_of(self, dossier):
        """The dossier's review at the stage its list selected it for (`stage_review`, see
        `screens.review_rows`), else at its jury's first stage; or None."""
        if "stage_review_pk" in dossier.__dict__:
            # Selected with the dossier; Django sets nothing when it has no review there.
            return dossier.__dict__.get("stage_review")
        return (
            self.review_model.objects.filter(**{self.dossier_field: dossier})
            .select_related("slot__group")
            .order_by("stage__position")
            .first()
        )

    def dossier_of(self, obj):
        """The dossier of an evaluation, a conflict or a review."""
        return getattr(obj, self.dossier_field)

    def light(self, queryset: QuerySet, fields: tuple[str, ...]) -> QuerySet:
        return queryset.only(*fields) if fields else queryset

    def dossier_active_q(self, prefix: str = "") -> Q:
        """The dossiers before the jury, seen from a model `prefix` away ("<field>__")."""
        if not self.jury_states:
            return Q()
        return Q(**{f"{prefix}{self.state_field}__in": self.jury_states})

    def decision_label(self, decision: str) -> str:
        if decision in self.decision_labels:
            return self.decision_labels[decision]
        return str(dict(AbstractReview.Decision.choices).get(decision, decision))

    def decision_choices(self) -> list[tuple[str, str]]:
        return [(value, self.decision_label(value)) for value in AbstractReview.Decision.values]

    def reason_label(self, decision: str, reason: str) -> str:
        return dict(self.decision_reasons.get(decision, ())).get(reason, reason)

    def state_labels(self) -> dict[str, str]:
        """Each state of the dossier model with its label: read once for a list."""
        field = self.dossier_model._meta.get_field(self.state_field)
        return {value: str(label) for value, label in field.choices or ()}

    def state_label(self, state: str) -> str:
        return self.state_labels().get(state, state)

    def is_anonymous(self, jury: Jury | None = None) -> bool:
        """Whether the jurors of `jury` read its dossiers anonymously. Without a jury, a
        domain that decides jury by jury answers yes: never a name shown by default."""
        if self.anonymous_for is not None:
            return jury is None or bool(self.anonymous_for(jury))
        return self.anonymous

    def label_for_juror(self, dossier, jury: Jury | None = None) -> str:
        """The dossier as a juror of `jury` knows it: by its anonymous label in an anonymous
        jury. The engine always says which jury."""
        if self.is_anonymous(jury):
            return self.anonymous_label(dossier)
        return self.dossier_label(dossier)

    def holder_for_juror(self, dossier, jury: Jury | None = None) -> str:
        """Who carries the dossier, as a juror of `jury` may read it: nobody in an
        anonymous jury."""
        return "" if self.is_anonymous(jury) else self.dossier_holder(dossier)

    @property
    def dossier_id_field(self) -> str:
        return f"{self.dossier_field}_id"

    def dossier_current_version(self, evaluation) -> int | None:
        """The number of the current version of the evaluation's dossier, read now."""
        if not self.dossier_version_field:
            return None
        return (
            self.dossier_model.objects.filter(pk=getattr(evaluation, self.dossier_id_field))
            .values_list(self.dossier_version_field, flat=True)
            .first()
        )

    def evaluations(self, jury: Jury, stage=None) -> QuerySet:
        """The jury's evaluations, of every stage unless `stage` is given."""
        evaluations = self.evaluation_model.objects.filter(member__jury=jury)
        return evaluations if stage is None else evaluations.filter(stage=stage)
