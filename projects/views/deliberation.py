"""Staff pages of the défi selection after scoring: pre-selection, hearings (groups, slots,
convocations), the hearing groups' opinions, the deliberation and its decision record.

The forms (in `projects/forms.py`) validate input only; the services in
`eig.jury.deliberation` hold the rules.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.views.decorators.http import require_GET

from eig.exceptions import DomainError
from eig.jury import deliberation
from eig.jury.models import AbstractReview, DecisionRecord, JuryGroup
from eig.jury.selectors import jury_ranking
from eig.programme.french import ordinal_suffix
from projects.forms import (
    DecisionForm,
    HearingRecordForm,
    HearingSlotForm,
    JuryGroupForm,
    ShortlistForm,
    SlotAssignForm,
    slot_label,
)
from projects.jury import DEFI_JURY, defi_list_for_jury
from projects.models import Defi, DefiReview
from projects.selectors import (
    decision_record_list,
    defi_decision_rows,
    defi_decision_warnings,
    defi_hearing_rows,
    get_jury_for_staff,
    get_review_for_hearing,
    hearing_group_reviews,
    hearing_slot_rows,
    jury_group_rows,
)
from projects.views.confirm import Confirmation, confirmation_page, is_confirmed

Decision = AbstractReview.Decision
# A page of the pre-selection and deliberation tables, in the order of the ranking.
DELIBERATION_PAGE_SIZE = 100
# A page of the hearings' table: a shortlist is a tenth of the défis, 200 at 2,000.
HEARINGS_PAGE_SIZE = 100


# --- Pages --------------------------------------------------------------------------------


def _jury_defi(jury, pk) -> Defi:
    """A défi submitted to this jury, from a posted id; 404 otherwise."""
    try:
        pk = int(pk)
    except (TypeError, ValueError):
        raise Http404 from None
    return get_object_or_404(
        defi_list_for_jury(jury).select_related(None).prefetch_related(None), pk=pk
    )


def _errors_to_messages(request, form) -> None:
    """Errors of a posted form whose row no longer shows a form (the défi was decided)."""
    if form is not None:
        for error in form.non_field_errors():
            messages.error(request, error)


# A pk no défi has, reversed once for a page and replaced by each row's.
_STAND_IN_PK = 987654321


def _decimal(value) -> str:
    # As `floatformat:2` prints a figure in French.
    return f"{value:.2f}".replace(".", ",")


def _figures_cell(figures: dict | None) -> SafeString:
    """The jury's figures on a défi in one cell, as
    `projects/deliberation/includes/figures.html` prints them (a test compares the two),
    without an include and its filters per row. Only numbers go in: nothing to escape."""
    # Without figures, `pluralize` gets an empty string and adds nothing.
    plural = "" if figures is None or figures.get("due") == 1 else "s"
    figures = figures or {}
    due, done = figures.get("due") or 0, figures.get("done") or 0
    evaluations = f"{done}/{due} évaluation{plural}"
    if figures.get("weighted") is None:
        return SafeString(f'Non classé<br><span class="fr-text--xs">{evaluations}</span>')
    rank = figures["rank"]
    flag = (
        '<p class="fr-badge fr-badge--sm fr-badge--warning fr-mt-1v" title="Écart de '
        f'{_decimal(figures["spread"])} entre les notes des jurés">Écart</p>'
        if figures.get("spread_flagged")
        else ""
    )
    return SafeString(
        f"<strong>{rank}<sup>{ordinal_suffix(rank)}</sup></strong> · "
        f"{_decimal(figures['weighted'])}{flag}"
        f'<br><span class="fr-text--xs">{evaluations}</span>'
    )


def _ranked_page(request, jury, bound: dict, total: int):
    """One page of the jury's `total` défis in the ranking's order (best weighted score
    first, défis without figures last), as rows with the défi, its review and its figures.
    Only the page's rows are read, figures and défis: a page costs the same with 20 défis
    or 2,000. A posted form opens on its page, so that its errors are in sight."""
    ranking = jury_ranking(DEFI_JURY, jury)
    number = request.GET.get("page")
    if bound:
        order = list(ranking.values_list("pk", flat=True))
        posted = next((index for index, pk in enumerate(order) if pk in bound), None)
        if posted is not None:
            number = posted // DELIBERATION_PAGE_SIZE + 1
    paginator = Paginator(ranking, DELIBERATION_PAGE_SIZE)
    paginator.count = total  # counted with the page's other figures: no COUNT query
    page = paginator.get_page(number)
    figures = list(page.object_list)
    defis = defi_decision_rows(jury).in_bulk([row["pk"] for row in figures])
    # One reverse() for the page, and each row's figures formatted here.
    preview = reverse("projects:defi_preview", args=[_STAND_IN_PK])
    rows = [
        {
            "defi": defis[row["pk"]],
            "review": _review(defis[row["pk"]]),
            "figures": row,
            "figures_html": _figures_cell(row),
            "preview_url": preview.replace(str(_STAND_IN_PK), str(row["pk"])),
        }
        for row in figures
        if row["pk"] in defis
    ]
    return page, rows


# Stands for a row's form prefix in a form rendered once for many rows.
_PREFIX = "defi-__prefix__"


def _unbound_form_html(cache: dict, key, template: str, form_class, pk: int, **kwargs) -> str:
    """An unbound row form's HTML: rendered once per `key` (what changes the form besides
    its prefix) with a stand-in prefix, then given each row's prefix. A page of 100 rows
    renders its form a few times instead of 100."""
    if key not in cache:
        cache[key] = render_to_string(template, {"form": form_class(prefix=_PREFIX, **kwargs)})
    return SafeString(cache[key].replace(_PREFIX, f"defi-{pk}"))


def _review(defi: Defi):
    """The défi's review as `defi_review_rows` selected it, or None."""
    try:
        return defi.review
    except Defi.review.RelatedObjectDoesNotExist:
        return None


def _unavailable_while_open(request, jury, *, current: str, step: str, heading: str):
    """The page of a step that starts at the call's closing, while the call is open; a
    POST gets the same page, nothing being possible yet. None once the call is closed."""
    call = jury.project_call
    # As `defi_jury_transition` has it: selection starts at the closing instant.
    if timezone.now() >= call.closes_at:
        return None
    return render(
        request,
        "projects/deliberation/unavailable.html",
        {
            "jury": jury,
            "call": call,
            "current": current,
            "step": step,
            "heading": heading,
            "title": f"{step} — {jury}",
        },
        status=400 if request.method == "POST" else 200,
    )


@login_required
def selection_shortlist(request, jury_pk):
    jury = get_jury_for_staff(request.user, jury_pk)
    unavailable = _unavailable_while_open(
        request,
        jury,
        current="shortlist",
        step="Présélection",
        heading="Présélection pour les auditions",
    )
    if unavailable:
        return unavailable
    bound = {}
    if request.method == "POST":
        defi = _jury_defi(jury, request.POST.get("defi"))
        action = request.POST.get("action")
        form = ShortlistForm(request.POST, prefix=f"defi-{defi.pk}")
        bound[defi.pk] = form
        if action not in ("shortlist", "unshortlist"):
            form.add_error(None, "Action inconnue.")
        elif form.is_valid():
            try:
                if action == "shortlist":
                    deliberation.review_shortlist(
                        domain=DEFI_JURY,
                        jury=jury,
                        dossier=defi,
                        actor=request.user,
                        questions=form.cleaned_data["questions"],
                    )
                    message = f"« {defi} » est présélectionné pour une audition."
                else:
                    deliberation.review_unshortlist(
                        domain=DEFI_JURY, jury=jury, dossier=defi, actor=request.user
                    )
                    message = f"« {defi} » n'est plus présélectionné."
            except DomainError as error:
                form.add_error(None, error.message)
            else:
                messages.success(request, message)
                return redirect("projects:selection_shortlist", jury_pk=jury.pk)
    counts = defi_decision_rows(jury).aggregate(
        total=Count("pk"), shortlisted=Count("pk", filter=Q(review__shortlisted_at__isnull=False))
    )
    page, rows = _ranked_page(request, jury, bound, counts["total"])
    # Forms for the rows of the page only, as on the deliberation page.
    forms = {}
    for row in rows:
        review, pk = row["review"], row["defi"].pk
        if review and review.decision:  # the row shows no form any more
            _errors_to_messages(request, bound.get(pk))
        elif pk not in bound and not (review and review.questions):
            row["form_html"] = _unbound_form_html(
                forms, None, "projects/deliberation/includes/shortlist_form.html", ShortlistForm, pk
            )
        row["form"] = (
            None
            if review and review.decision
            else bound.get(pk)
            or ShortlistForm(
                prefix=f"defi-{pk}", initial={"questions": review.questions if review else ""}
            )
        )
    return render(
        request,
        "projects/deliberation/shortlist.html",
        {
            "jury": jury,
            "call": jury.project_call,
            "rows": rows,
            "page_obj": page,
            "total": counts["total"],
            "shortlisted": counts["shortlisted"],
            "title": f"Présélection — {jury}",
        },
        status=400 if request.method == "POST" else 200,
    )


@login_required
def selection_hearings(request, jury_pk):
    jury = get_jury_for_staff(request.user, jury_pk)
    group_form = JuryGroupForm(jury=jury, prefix="groupe")
    slot_form = HearingSlotForm(jury=jury, prefix="creneau")
    assign_error = None
    if request.method == "POST":
        action = request.POST.get("action")
        response, errors = _hearings_post(request, jury, action)
        if response is not None:
            return response
        group_form = errors.get("group_form", group_form)
        slot_form = errors.get("slot_form", slot_form)
        assign_error = errors.get("assign")
    slots = list(hearing_slot_rows(jury))
    hearing_rows = defi_hearing_rows(jury)
    # The counts in one query; the table by pages, a posted form's row on its page.
    counts = hearing_rows.aggregate(
        total=Count("pk"),
        to_convoke=Count(
            "pk",
            filter=Q(
                review__slot__isnull=False,
                review__convoked_at__isnull=True,
                review__decision="",
            ),
        ),
    )
    number = request.GET.get("page")
    if assign_error:
        order = list(hearing_rows.values_list("pk", flat=True))
        if assign_error[0] in order:
            number = order.index(assign_error[0]) // HEARINGS_PAGE_SIZE + 1
    paginator = Paginator(hearing_rows, HEARINGS_PAGE_SIZE)
    paginator.count = counts["total"]
    page = paginator.get_page(number)
    # Each free slot's <option>, escaped once for the page (see `_slot_options`).
    options = [
        (slot, format_html('<option value="{}">{}</option>', slot.pk, slot_label(slot)))
        for slot in slots
    ]
    rows = []
    for defi in page.object_list:
        review = _review(defi)
        row = {"defi": defi, "review": review, "prefix": f"defi-{defi.pk}"}
        if assign_error and assign_error[0] == defi.pk:
            form = SlotAssignForm(
                request.POST,
                slots=slots,
                current=review.slot_id,
                prefix=f"defi-{defi.pk}",
                initial={"slot": review.slot_id},
            )
            form.is_valid()
            form.add_error(None, assign_error[1])
            assign_error = None
            row["form"] = form
        else:
            row["slot_options"] = _slot_options(options, review.slot_id)
        rows.append(row)
    if assign_error:  # a défi that is not (or no longer) on the shortlist
        messages.error(request, assign_error[1])
    return render(
        request,
        "projects/deliberation/hearings.html",
        {
            "jury": jury,
            "call": jury.project_call,
            "groups": jury_group_rows(jury),
            "slots": slots,
            "rows": rows,
            "page_obj": page,
            "to_convoke": counts["to_convoke"],
            "group_form": group_form,
            "slot_form": slot_form,
            "title": f"Auditions — {jury}",
        },
        status=400 if request.method == "POST" else 200,
    )


def _slot_options(options, current) -> SafeString:
    """The <option>s of a défi's unbound slot form, as `SlotAssignForm` would render them
    through crispy: no slot, then the free slots and the défi's own, its own selected.
    Joined strings rather than a widget per row: the page may list hundreds of défis."""
    blank = '<option value=""{}>— Pas de créneau —</option>'.format("" if current else " selected")
    parts = [blank]
    for slot, option in options:
        if slot.pk == current:
            parts.append(option.replace("<option ", "<option selected ", 1))
        elif slot.defi_id is None:
            parts.append(option)
    return SafeString("".join(parts))


def _hearings_post(request, jury, action):
    """Handle one action of the hearings page: (redirect, {}) when done, else (None, the
    bound forms or the error to show)."""
    done = redirect("projects:selection_hearings", jury_pk=jury.pk)
    if action == "group_create":
        form = JuryGroupForm(request.POST, jury=jury, prefix="groupe")
        if form.is_valid():
            try:
                group = deliberation.jury_group_create(
                    jury=jury, name=form.cleaned_data["name"], members=form.cleaned_data["members"]
                )
            except DomainError as error:
                form.add_error(None, error.message)
            else:
                messages.success(request, f"Le groupe « {group} » est créé.")
                return done, {}
        return None, {"group_form": form}
    if action == "group_delete":
        group = get_object_or_404(JuryGroup, pk=_int(request.POST.get("group")), jury=jury)
        try:
            deliberation.jury_group_delete(group=group)
        except DomainError as error:
            messages.error(request, error.message)
            return None, {}
        messages.success(request, f"Le groupe « {group} » est supprimé.")
        return done, {}
    if action == "slot_create":
        form = HearingSlotForm(request.POST, jury=jury, prefix="creneau")
        if form.is_valid():
            try:
                deliberation.hearing_slot_create(jury=jury, **form.cleaned_data)
            except DomainError as error:
                form.add_error(None, error.message)
            else:
                messages.success(request, "Le créneau est ajouté.")
                return done, {}
        return None, {"slot_form": form}
    if action == "slot_delete":
        slot = get_object_or_404(jury.slots, pk=_int(request.POST.get("slot")))
        try:
            deliberation.hearing_slot_delete(domain=DEFI_JURY, slot=slot)
        except DomainError as error:
            messages.error(request, error.message)
            return None, {}
        messages.success(request, "Le créneau est supprimé.")
        return done, {}
    if action == "assign":
        defi = _jury_defi(jury, request.POST.get("defi"))
        slots = list(hearing_slot_rows(jury))
        review = _review(defi)
        form = SlotAssignForm(
            request.POST,
            slots=slots,
            current=review.slot_id if review else None,
            prefix=f"defi-{defi.pk}",
        )
        if not form.is_valid():
            return None, {"assign": (defi.pk, "Choisissez un créneau libre de la liste.")}
        slot_pk = form.cleaned_data["slot"]
        slot = next((slot for slot in slots if slot.pk == slot_pk), None)
        try:
            deliberation.review_assign_slot(
                domain=DEFI_JURY, jury=jury, dossier=defi, slot=slot, actor=request.user
            )
        except DomainError as error:
            return None, {"assign": (defi.pk, error.message)}
        if slot is None:
            messages.success(request, f"« {defi} » n'a plus de créneau d'audition.")
        else:
            messages.success(request, f"« {defi} » sera auditionné le {slot_label(slot)}.")
        return done, {}
    if action == "convoke":
        count = deliberation.hearing_convoke(domain=DEFI_JURY, jury=jury, actor=request.user)
        if count:
            messages.success(request, f"{count} administration(s) convoquée(s) à leur audition.")
        else:
            messages.info(request, "Aucune convocation à envoyer : toutes sont déjà parties.")
        return done, {}
    messages.error(request, "Action inconnue.")
    return None, {}


def _int(value) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        raise Http404 from None


@login_required
def selection_group_edit(request, jury_pk, pk):
    jury = get_jury_for_staff(request.user, jury_pk)
    group = get_object_or_404(JuryGroup.objects.prefetch_related("members"), pk=pk, jury=jury)
    form = JuryGroupForm(
        request.POST or None,
        jury=jury,
        group=group,
        initial={"name": group.name, "members": list(group.members.all())},
    )
    if request.method == "POST" and form.is_valid():
        try:
            deliberation.jury_group_update(
                group=group, name=form.cleaned_data["name"], members=form.cleaned_data["members"]
            )
        except DomainError as error:
            form.add_error(None, error.message)
        else:
            messages.success(request, f"Le groupe « {form.cleaned_data['name']} » est modifié.")
            return redirect("projects:selection_hearings", jury_pk=jury.pk)
    return render(
        request,
        "projects/deliberation/group_edit.html",
        {"jury": jury, "group": group, "form": form, "title": f"Groupe « {group} »"},
        status=400 if request.method == "POST" else 200,
    )


@login_required
def selection_hearing_record(request, jury_pk, defi_pk):
    review = get_review_for_hearing(request.user, jury_pk, defi_pk)
    group_reviews = list(hearing_group_reviews(review))
    form = HearingRecordForm(
        request.POST or None,
        group_size=len(group_reviews),
        initial={
            "opinion": review.opinion,
            "hearing_rank": review.hearing_rank,
            "favourite": review.favourite,
            "justification": review.justification,
        },
    )
    if request.method == "POST" and form.is_valid():
        try:
            deliberation.review_record_hearing(
                domain=DEFI_JURY, review=review, actor=request.user, **form.cleaned_data
            )
        except DomainError as error:
            form.add_error(None, error.message)
        else:
            messages.success(request, f"L'avis du groupe sur « {review.defi} » est enregistré.")
            return redirect(
                "projects:selection_hearing_record", jury_pk=jury_pk, defi_pk=review.defi_id
            )
    return render(
        request,
        "projects/deliberation/hearing_record.html",
        {
            "jury": review.jury,
            "review": review,
            "defi": review.defi,
            "group_reviews": group_reviews,
            "form": form,
            "title": f"Avis d'audition — {review.defi}",
        },
        status=400 if request.method == "POST" else 200,
    )


@login_required
def selection_deliberation(request, jury_pk):
    jury = get_jury_for_staff(request.user, jury_pk)
    unavailable = _unavailable_while_open(
        request, jury, current="deliberation", step="Délibération", heading="Délibération"
    )
    if unavailable:
        return unavailable
    bound = {}
    if request.method == "POST":
        action = request.POST.get("action")
        if action == "record":
            try:
                record = deliberation.decision_record_request(
                    domain=DEFI_JURY, jury=jury, actor=request.user
                )
            except DomainError as error:
                messages.error(request, error.message)
            else:
                messages.success(
                    request,
                    f"Le relevé de décision (version {record.version}) est en cours de "
                    "production : rechargez la page dans quelques instants.",
                )
                return redirect("projects:selection_deliberation", jury_pk=jury.pk)
        elif action == "decide":
            defi = _jury_defi(jury, request.POST.get("defi"))
            form = DecisionForm(request.POST, prefix=f"defi-{defi.pk}")
            bound[defi.pk] = form
            if form.is_valid() and not is_confirmed(request):
                confirmation = _decision_confirmation(jury, defi, form.cleaned_data)
                if confirmation is not None:
                    return confirmation_page(request, confirmation)
            if form.is_valid():
                try:
                    deliberation.review_decide(
                        domain=DEFI_JURY,
                        jury=jury,
                        dossier=defi,
                        decision=form.cleaned_data["decision"],
                        motivation=form.cleaned_data["motivation"],
                        actor=request.user,
                    )
                except DomainError as error:
                    form.add_error(None, error.message)
                else:
                    messages.success(
                        request,
                        f"Décision enregistrée pour « {defi} » : "
                        f"{Decision(form.cleaned_data['decision']).label.lower()}. "
                        "L'administration en est informée par e-mail.",
                    )
                    return redirect("projects:selection_deliberation", jury_pk=jury.pk)
        else:
            messages.error(request, "Action inconnue.")
    # One query for every count: the défis by decision ("" without one).
    counts = defi_decision_rows(jury).aggregate(
        **{
            value or "none": Count(
                "pk",
                filter=Q(review__decision=value)
                if value
                else Q(review__isnull=True) | Q(review__decision=""),
            )
            for value in [*Decision.values, ""]
        }
    )
    counts = {("" if key == "none" else key): count for key, count in counts.items()}
    page, rows = _ranked_page(request, jury, bound, sum(counts.values()))
    # Forms for the rows of the page only: 2,000 decision forms made 4 MB of HTML.
    forms = {}
    for row in rows:
        pk = row["defi"].pk
        review = row["review"]
        row["allowed"] = deliberation.DECISION_MOVES.get(review.decision if review else "", set())
        if not row["allowed"]:  # the row shows no form any more
            _errors_to_messages(request, bound.get(pk))
        elif pk not in bound:
            row["form_html"] = _unbound_form_html(
                forms,
                frozenset(row["allowed"]),
                "projects/deliberation/includes/decision_form.html",
                DecisionForm,
                pk,
                allowed=row["allowed"],
            )
        row["form"] = (
            (bound.get(pk) or DecisionForm(prefix=f"defi-{pk}", allowed=row["allowed"]))
            if row["allowed"]
            else None
        )
    return render(
        request,
        "projects/deliberation/deliberation.html",
        {
            "jury": jury,
            "call": jury.project_call,
            "rows": rows,
            "page_obj": page,
            "counts": [(label, counts[value]) for value, label in Decision.choices]
            + [("Sans décision", counts[""])],
            "records": decision_record_list(jury),
            "title": f"Délibération — {jury}",
        },
        status=400 if request.method == "POST" else 200,
    )


def _decision_confirmation(jury, defi: Defi, data: dict) -> Confirmation | None:
    """What deciding on `defi` will do and what the jury would decide without; None when
    the decision is not open to this défi any more (the service then says why)."""
    current = DefiReview.objects.filter(defi=defi).values_list("decision", flat=True).first()
    decision = data["decision"]
    if decision not in deliberation.DECISION_MOVES.get(current or "", set()):
        return None
    label = Decision(decision).label
    final = (
        "Elle pourra encore devenir « Retenu » ou « Non retenu »."
        if decision == Decision.WAITING_LIST
        else "Elle est définitive : elle ne pourra plus être changée."
    )
    return Confirmation(
        title=f"Décider « {label} » pour « {defi} » ?",
        consequences=[
            f"La décision « {label} » sera enregistrée pour le défi « {defi} » "
            f"({defi.administration}) et envoyée aussitôt par e-mail à l'administration, "
            "avec sa motivation.",
            final,
        ],
        warnings=defi_decision_warnings(defi),
        warnings_title="Éléments manquants pour décider",
        summary=[("Décision", str(label)), ("Motivation", data["motivation"])],
        submit_label=f"Confirmer la décision « {label} »",
        cancel_url=reverse("projects:selection_deliberation", args=[jury.pk]) + f"#defi-{defi.pk}",
        breadcrumb=[
            (reverse("projects:selection_index"), "Sélection des défis"),
            (reverse("projects:selection_jury", args=[jury.pk]), str(jury)),
            (reverse("projects:selection_deliberation", args=[jury.pk]), "Délibération"),
        ],
    )


@login_required
@require_GET
def selection_decision_record(request, jury_pk, pk):
    jury = get_jury_for_staff(request.user, jury_pk)
    record = get_object_or_404(DecisionRecord, pk=pk, jury=jury)
    if not record.rendered_at or not record.pdf:
        raise Http404("Ce relevé est en cours de production.")
    local = timezone.localtime(record.rendered_at)
    return FileResponse(
        record.pdf.open("rb"),
        content_type="application/pdf",
        as_attachment=False,
        filename=f"releve-decision-jury-{jury.pk}-v{record.version}-{local:%Y%m%d}.pdf",
    )
