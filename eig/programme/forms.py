from django import forms
from django.utils.translation import gettext_lazy as _

from eig import forms as eig_forms
from eig.programme.models import Administration, FundingRule
from eig.programme.presets import funding_preset_choices
from eig.programme.validators import normalize_siret, validate_siret


class LeavingConfirmMixin:
    """A person who already belongs to an administration (or waits for one) confirms that
    they leave it: changing administration ends the current membership at once."""

    def _add_confirm(self, leaving):
        self.leaving = leaving
        if leaving is None:
            return
        self.fields["confirm"] = forms.BooleanField(
            label=_("Je quitte %(name)s") % {"name": leaving.administration},
            help_text=_(
                "Votre rattachement actuel (ou votre demande en cours) prend fin aussitôt ; "
                "vous n'aurez plus accès à ce que possède cette administration."
            ),
            error_messages={
                "required": _(
                    "Cochez la case pour confirmer que vous quittez votre administration."
                )
            },
        )


class AdministrationJoinForm(LeavingConfirmMixin, eig_forms.Form):
    administration = forms.ModelChoiceField(
        label=_("Votre administration"),
        queryset=Administration.objects.order_by("name"),
        empty_label=_("Choisissez dans la liste"),
        error_messages={"invalid_choice": _("Choisissez une administration de la liste.")},
    )
    note = forms.CharField(
        label=_("Message aux membres de l'administration (facultatif)"),
        help_text=_("Votre service et votre fonction, pour qu'un membre vous reconnaisse."),
        max_length=500,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args, leaving=None, **kwargs):
        super().__init__(*args, **kwargs)
        self._add_confirm(leaving)

    def clean_administration(self):
        administration = self.cleaned_data["administration"]
        if self.leaving is not None and administration.pk == self.leaving.administration_id:
            raise forms.ValidationError(
                "C'est déjà votre administration (ou votre demande en cours).", code="same"
            )
        return administration


class MembershipDecisionForm(eig_forms.Form):
    reason = forms.CharField(
        label=_("Motif (facultatif, transmis à la personne)"),
        max_length=500,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class MembershipLeaveForm(eig_forms.Form):
    confirm = forms.BooleanField(
        label=_("Je confirme quitter cette administration"),
        error_messages={"required": _("Cochez la case pour confirmer votre départ.")},
    )


class AdministrationCreateForm(LeavingConfirmMixin, eig_forms.ModelForm):
    # Longer than the stored 14 digits: people type SIRETs with spaces, removed in clean_siret.
    siret = forms.CharField(
        label=_("SIRET"),
        max_length=20,
        help_text=_("14 chiffres, espaces acceptés ; la clé de contrôle est vérifiée."),
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
    )

    class Meta:
        model = Administration
        fields = ["name", "kind", "siret", "parent", "budget_programme", "town", "website"]
        help_texts = {
            "parent": _("Pour un opérateur ou un service déconcentré : le ministère de tutelle."),
        }

    def __init__(self, *args, leaving=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["parent"].queryset = Administration.objects.filter(
            kind=Administration.Kind.MINISTRY
        ).order_by("name")
        self._add_confirm(leaving)

    def clean_siret(self):
        siret = normalize_siret(self.cleaned_data["siret"])
        validate_siret(siret)
        if Administration.objects.filter(siret=siret).exists():
            raise forms.ValidationError(
                "Une administration avec ce SIRET existe déjà : rejoignez-la plutôt.",
                code="siret_taken",
            )
        return siret

    def clean_name(self):
        name = " ".join(self.cleaned_data["name"].split())
        if Administration.objects.filter(name__iexact=name).exists():
            raise forms.ValidationError(
                "Cette administration existe déjà : rejoignez-la plutôt.", code="name_taken"
            )
        return name

    def clean(self):
        cleaned = super().clean()
        kind, parent = cleaned.get("kind"), cleaned.get("parent")
        if kind == Administration.Kind.MINISTRY and parent:
            self.add_error(
                "parent",
                forms.ValidationError(
                    "Un ministère n'a pas de ministère de rattachement.", code="ministry_parent"
                ),
            )
        return cleaned


# --- Staff back office: funding rules ---------------------------------------------------------


class SalaryBandFormSet(forms.BaseInlineFormSet):
    """The salary grid of a promotion, edited as a whole."""

    def clean(self):
        super().clean()
        if any(self.errors):
            return
        kept = [
            form.cleaned_data
            for form in self.forms
            if form.cleaned_data and not self._should_delete_form(form)
        ]
        # `Rules.band_for_years` finds no band for a beginner otherwise; an empty grid is
        # allowed (a promotion whose rules are not configured yet).
        if kept and not any(data.get("min_years") == 0 for data in kept):
            raise forms.ValidationError(
                "La grille salariale doit comporter une tranche qui part de 0 an d'expérience.",
                code="no_first_band",
            )


class FundingRuleAdminForm(eig_forms.ModelForm):
    """Each kind of rule reads one parameter: it is required for that kind, and the
    parameters of the other kinds are emptied so that a switched rule leaves no stale value
    behind (the preset service stores them the same way)."""

    PARAMETERS = {
        FundingRule.Kind.SHARE: (
            "share",
            "Indiquez la part prise en charge (0,70 pour 70 %).",
        ),
        FundingRule.Kind.MONTHS: ("months", "Indiquez le nombre de mois financés."),
        FundingRule.Kind.FLAT: ("flat_amount", "Indiquez le forfait par EIG."),
    }

    class Meta:
        model = FundingRule
        fields = [
            "employee_rate",
            "employer_rate",
            "kind",
            "share",
            "months",
            "flat_amount",
            "convention_kind",
            "source_programme",
            "payment_terms",
            "source",
        ]
        help_texts = {
            "kind": _(
                "Seul le paramètre de la règle choisie est conservé ; les autres sont vidés à "
                "l'enregistrement."
            ),
        }

    def clean(self):
        cleaned = super().clean()
        kind = cleaned.get("kind")
        for rule_kind, (name, message) in self.PARAMETERS.items():
            if rule_kind != kind:
                cleaned[name] = None
            elif cleaned.get(name) is None and name not in self.errors:
                self.add_error(name, forms.ValidationError(message, code="required_for_kind"))
        return cleaned


class FundingPresetChoiceForm(eig_forms.Form):
    """The intermediate page of the admin action that applies a past promotion's rules."""

    preset = forms.ChoiceField(
        label=_("Règles à appliquer"),
        error_messages={
            "required": _("Choisissez les règles d'une promotion."),
            "invalid_choice": _("Choisissez les règles d'une promotion de la liste."),
        },
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["preset"].choices = funding_preset_choices()
