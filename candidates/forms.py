import re

from django import forms
from django.forms import modelform_factory
from django.utils.translation import gettext_lazy as _

from candidates.models import MAX_WISHES, MIN_WISHES, Application
from candidates.sections import Section
from eig import forms as eig_forms
from eig.files import validate_pdf

# A CV is a page or two; the programme asked for a PDF. A portfolio shows work: larger.
CV_MAX_BYTES, CV_MAX_PAGES = 5 * 1024 * 1024, 6
PORTFOLIO_MAX_BYTES, PORTFOLIO_MAX_PAGES = 20 * 1024 * 1024, 40
_PDF_LIMITS = {
    "cv": (CV_MAX_BYTES, CV_MAX_PAGES),
    "cv_anonymised": (CV_MAX_BYTES, CV_MAX_PAGES),
    "portfolio": (PORTFOLIO_MAX_BYTES, PORTFOLIO_MAX_PAGES),
}
# Digits, spaces, dots, dashes and one leading +; 9 to 15 digits (E.164 holds 15 at most).
_PHONE = re.compile(r"^\+?[0-9 .\-]{9,20}$")


_helper = eig_forms.fields_only_helper


class ApplicationSectionForm(eig_forms.ModelForm):
    """Base of every section's form. Drafts may leave fields blank; lengths, formats and
    files are checked at every save."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = _helper()
        for name, field in self.fields.items():
            if isinstance(field.widget, forms.Textarea):
                eig_forms.textarea_show_limit(
                    field, Application._meta.get_field(name), long_from=1000
                )
            if name in _PDF_LIMITS:
                max_bytes, max_pages = _PDF_LIMITS[name]
                field.widget = forms.FileInput(attrs={"accept": "application/pdf"})
                field.help_text = (
                    f"Format PDF, {max_pages} pages et {max_bytes // (1024 * 1024)} Mo au plus."
                )
            if name.endswith("_url"):
                field.widget.attrs.setdefault("placeholder", "https://")
            if name == "phone":
                field.widget.attrs.setdefault("autocomplete", "tel")
            if name == "available_on":
                field.widget = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
            if name == "birth_year":
                field.widget.attrs.update({"min": 1940, "max": 2015})
        if "cv_anonymised" in self.fields:
            self.fields["cv_anonymised"].help_text += _(
                " Sans votre nom, vos coordonnées ni vos liens : pour une présélection anonyme."
            )
        if "civility" in self.fields:
            self.fields["civility"].widget = forms.RadioSelect(choices=Application.Civility.choices)
            self.fields["civility"].help_text = _("Facultatif.")

    def _clean_pdf(self, name):
        upload = self.cleaned_data.get(name)
        if upload and hasattr(upload, "content_type"):  # a new upload, not the saved file
            max_bytes, max_pages = _PDF_LIMITS[name]
            validate_pdf(upload, max_bytes=max_bytes, max_pages=max_pages)
        return upload

    def clean_cv(self):
        return self._clean_pdf("cv")

    def clean_cv_anonymised(self):
        return self._clean_pdf("cv_anonymised")

    def clean_portfolio(self):
        return self._clean_pdf("portfolio")

    def clean_phone(self):
        phone = self.cleaned_data.get("phone", "").strip()
        if phone and (not _PHONE.match(phone) or not 9 <= len(re.sub(r"\D", "", phone)) <= 15):
            raise forms.ValidationError(
                _(
                    "Saisissez un numéro de téléphone, par exemple 06 12 34 56 78 "
                    "ou +33 6 12 34 56 78."
                ),
                code="phone",
            )
        return phone


def application_section_form_class(section: Section) -> type[ApplicationSectionForm]:
    return modelform_factory(Application, form=ApplicationSectionForm, fields=list(section.fields))


class WishesForm(eig_forms.Form):
    """The ranked wishes: one select per rank, the first three required. The choices are
    the call's positions that seek the candidate's métier (`positions`: pk → label)."""

    def __init__(self, *args, positions: list[tuple[int, str]], **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = _helper()
        choices = [("", _("Choisir…")), *positions]
        for rank in range(1, MAX_WISHES + 1):
            self.fields[f"voeu_{rank}"] = forms.TypedChoiceField(
                label=_("Vœu n° %(rank)s") % {"rank": rank}
                + ("" if rank <= MIN_WISHES else str(_(" (facultatif)"))),
                choices=choices,
                coerce=int,
                required=rank <= MIN_WISHES,
                empty_value=None,
                error_messages={
                    "required": _("Choisissez un poste pour ce vœu."),
                    "invalid_choice": _("Ce poste n'est pas proposé pour votre métier."),
                },
            )

    def clean(self):
        cleaned = super().clean()
        ranked = [cleaned.get(f"voeu_{rank}") for rank in range(1, MAX_WISHES + 1)]
        chosen = [pk for pk in ranked if pk]
        if len(set(chosen)) != len(chosen):
            raise forms.ValidationError(
                _("Chaque poste ne peut figurer qu'une fois dans vos vœux."), code="twice"
            )
        # A gap (a fourth wish without a third) would rank them out of order.
        if any(pk is None for pk in ranked[: len(chosen)]):
            raise forms.ValidationError(
                _("Classez vos vœux sans laisser de rang vide avant le dernier."), code="gap"
            )
        cleaned["positions"] = chosen
        return cleaned


class WithdrawForm(eig_forms.Form):
    note = forms.CharField(
        label=_("Pourquoi retirez-vous votre candidature ? (facultatif)"),
        required=False,
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 3, "maxlength": 500}),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = _helper()
