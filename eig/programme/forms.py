from django import forms
from django.utils.translation import gettext_lazy as _

from eig.programme.models import Administration
from eig.programme.validators import normalize_siret, validate_siret


class AdministrationJoinForm(forms.Form):
    administration = forms.ModelChoiceField(
        label=_("Votre administration"),
        queryset=Administration.objects.order_by("name"),
        empty_label=_("Choisissez dans la liste"),
        error_messages={"invalid_choice": _("Choisissez une administration de la liste.")},
    )


class AdministrationCreateForm(forms.ModelForm):
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

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["parent"].queryset = Administration.objects.filter(
            kind=Administration.Kind.MINISTRY
        ).order_by("name")

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
