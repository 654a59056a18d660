"""Forms of the convention pages: they validate what staff and agents enter; the views hand
the cleaned data to funding.services."""

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from eig import forms as eig_forms
from eig.programme.models import WorkTime
from funding.models import Convention, ConventionLine

# The reason is printed in the version's text: a sentence or a short paragraph.
REASON_MAX = 1000


_helper = eig_forms.fields_only_helper


class SignedPdfForm(eig_forms.Form):
    """The convention signed by the administration. The service checks the file itself (a
    readable PDF within the size and page limits, without JavaScript or launch action,
    `eig.files.validate_pdf`): the same rule holds whoever uploads it."""

    signed_pdf = forms.FileField(
        label=_("Convention signée (PDF)"),
        help_text=_("Le PDF signé par l'administration, 60 pages et 15 Mo au plus."),
        error_messages={
            "required": _("Choisissez le PDF de la convention signée."),
            "empty": _("Ce fichier est vide : choisissez le PDF de la convention signée."),
        },
        widget=forms.ClearableFileInput(attrs={"accept": "application/pdf,.pdf"}),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = _helper()


class InForceForm(eig_forms.Form):
    """The date from which a version signed by both parties applies (for a budgetary
    convention, the publication of the transfer decree)."""

    in_force_on = forms.DateField(
        label=_("En vigueur le"),
        help_text=_("Date d'entrée en vigueur, heure de Paris."),
        error_messages={
            "required": _("Indiquez la date d'entrée en vigueur."),
            "invalid": _("Indiquez une date valide, par exemple 15/09/2027."),
        },
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        input_formats=["%Y-%m-%d", "%d/%m/%Y"],
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Today in Paris, not in UTC: just after midnight they differ.
        self.fields["in_force_on"].initial = timezone.localdate()
        self.helper = _helper()


class ConventionLineForm(eig_forms.Form):
    """The band and work time of one EIG of the convention, among the promotion's grid."""

    salary_band = forms.TypedChoiceField(
        label=_("Tranche"),
        coerce=int,
        error_messages={
            "required": _("Choisissez une tranche."),
            "invalid_choice": _("Choisissez une tranche de la grille de la promotion."),
        },
    )
    work_time = forms.TypedChoiceField(
        label=_("Quotité de travail"),
        coerce=int,
        choices=WorkTime.choices,
        error_messages={
            "invalid_choice": _("Choisissez le temps plein ou le temps partiel à 4/5."),
        },
    )

    remove = forms.BooleanField(
        label=_("Retirer"),
        required=False,
        help_text=_("Poste non pourvu ou EIG parti avant son recrutement."),
    )

    def __init__(self, *args, line: ConventionLine, bands, allows_part_time: bool, **kwargs):
        kwargs.setdefault("prefix", f"line-{line.pk}")
        kwargs.setdefault(
            "initial", {"salary_band": line.salary_band_id, "work_time": line.work_time}
        )
        super().__init__(*args, **kwargs)
        self.line = line
        self.fields["salary_band"].choices = [(band.pk, band.label) for band in bands]
        if not allows_part_time:
            # The frame admits full time only: nothing to choose.
            del self.fields["work_time"]
        # Rendered in a table row of the convention page, not through crispy.
        for name, field in self.fields.items():
            if name != "remove":
                field.widget.attrs["class"] = "fr-select"

    def full_clean(self):
        super().full_clean()
        # The page prints each error under its select, with this id.
        for name in self.errors:
            if name in self.fields:
                self.fields[name].widget.attrs.update(
                    {"aria-invalid": "true", "aria-describedby": f"{self[name].auto_id}-error"}
                )

    @property
    def legend(self) -> str:
        return f"{self.line.defi} – EIG {self.line.rank} ({self.line.get_specialty_display()})"

    def values(self) -> dict:
        return {
            "salary_band": self.cleaned_data["salary_band"],
            "work_time": self.cleaned_data.get("work_time", WorkTime.FULL),
            "remove": self.cleaned_data.get("remove", False),
        }


class ConventionUpdateForm(eig_forms.Form):
    """The signatories (while the version is a draft) and the reason of a change (once it
    has been sent: it goes into the new version or the avenant)."""

    signatory = forms.CharField(
        label=_("Signataire pour l'administration"),
        help_text=_("Fonction, prénom et nom, tels qu'ils figureront sur la convention."),
        max_length=200,
        required=False,
    )
    dinum_signatory = forms.CharField(
        label=_("Signataire pour la DINUM"),
        help_text=_("Fonction, prénom et nom."),
        max_length=200,
        required=False,
    )
    reason = forms.CharField(
        label=_("Motif de la modification"),
        help_text=_("Il figure dans la nouvelle version ou l'avenant ; 1000 caractères au plus."),
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        max_length=REASON_MAX,
        error_messages={
            "max_length": f"{REASON_MAX} caractères au plus (vous en avez saisi %(show_value)d)."
        },
    )

    def __init__(self, *args, convention: Convention, draft: bool, **kwargs):
        kwargs.setdefault(
            "initial",
            {"signatory": convention.signatory, "dinum_signatory": convention.dinum_signatory},
        )
        super().__init__(*args, **kwargs)
        self.draft = draft
        if draft:
            del self.fields["reason"]
        else:
            # Signatories are part of the text sent: they change only in a draft.
            del self.fields["signatory"], self.fields["dinum_signatory"]
            self.fields["reason"].required = True
            self.fields["reason"].error_messages["required"] = _(
                "Indiquez le motif de la modification : il figure dans la nouvelle version "
                "ou l'avenant."
            )
        self.helper = _helper()
