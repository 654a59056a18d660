"""Control characters: refused by every text field of every form, the admin's included."""

import html
import importlib
import inspect

import pytest
from allauth.account.forms import SignupForm as AllauthSignupForm
from django import forms
from django.apps import apps
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.core.validators import MaxLengthValidator
from django.db import models
from django.urls import reverse

from eig.accounts.models import User
from eig.forms import (
    AdminInputMixin,
    TextGuardMixin,
    multi_line_validator,
    single_line_validator,
)
from eig.programme.models import Administration
from tests.factories import PASSWORD, StaffFactory

OUR_APPS = {"accounts", "programme", "notifications", "jury", "projects", "funding"}
FORM_MODULES = [
    "eig.accounts.forms",
    "eig.accounts.admin",
    "eig.programme.forms",
    "eig.jury.forms",
    "eig.jury.admin",
    "projects.forms",
    "funding.forms",
]


@pytest.mark.parametrize(
    "value",
    [
        "Défi\r\nBcc: tous@exemple.fr",
        "Défi\nsuite",
        "Défi\tsuite",
        "Dé\x00fi",
        "facture\u202efdp.exe",
        "isolat\u2066ion",
        "contrôle C1 \x85",
        "séparateur\u2028de ligne",
    ],
)
def test_single_line_validator_refuses_control_characters_in_french(value):
    with pytest.raises(ValidationError) as error:
        single_line_validator(value)

    assert error.value.code == "control_character"
    assert error.value.messages[0].startswith("Retirez ")
    assert "ce champ tient sur une ligne" in error.value.messages[0]


def test_single_line_validator_names_the_character_and_its_place():
    with pytest.raises(ValidationError) as error:
        single_line_validator("ab\u202ecd")

    assert error.value.messages == [
        "Retirez le caractère invisible d'inversion du sens du texte (U+202E), position 3 : "
        "ce champ tient sur une ligne, sans tabulation ni caractère de contrôle invisible."
    ]


@pytest.mark.parametrize(
    "value", ["Élodie O'Brien – DINUM", "Ministère de l’Intérieur", "100 % « ouvert » ☺", ""]
)
def test_single_line_validator_accepts_ordinary_text(value):
    single_line_validator(value)


def test_multi_line_validator_keeps_line_breaks_and_tabs():
    multi_line_validator("Contexte :\r\n\t- premier point\n- second point")


@pytest.mark.parametrize("value", ["nul \x00", "tab. verticale \x0b", "\u202e inversé", "\x1b[31m"])
def test_multi_line_validator_refuses_other_controls(value):
    with pytest.raises(ValidationError) as error:
        multi_line_validator(value)

    assert error.value.code == "control_character"


def _form_classes():
    for name in FORM_MODULES:
        module = importlib.import_module(name)
        for _, cls in inspect.getmembers(module, inspect.isclass):
            if issubclass(cls, forms.BaseForm) and cls.__module__ == name:
                yield cls


@pytest.mark.parametrize("form_class", list(_form_classes()), ids=lambda cls: cls.__qualname__)
def test_every_form_of_the_platform_guards_its_text(form_class):
    assert issubclass(form_class, TextGuardMixin)


def test_allauth_signup_form_guards_its_text():
    assert issubclass(AllauthSignupForm, TextGuardMixin)


def test_every_admin_of_the_platform_guards_its_text():
    ours = [
        (model, model_admin)
        for model, model_admin in admin.site._registry.items()
        if model._meta.app_label in OUR_APPS
    ]

    assert ours
    for model, model_admin in ours:
        assert isinstance(model_admin, AdminInputMixin), model
        for inline in model_admin.inlines:
            assert issubclass(inline, AdminInputMixin), inline


@pytest.mark.django_db
def test_signup_refuses_a_line_break_in_the_name(client):
    response = client.post(
        reverse("account_signup"),
        {
            "first_name": "Inès\r\nBcc: tous@exemple.fr",
            "last_name": "Durand",
            "email": "ines.durand@culture.gouv.fr",
            "role": "agent",
            "password1": PASSWORD,
            "password2": PASSWORD,
        },
    )

    assert response.status_code == 200
    assert "Retirez le retour chariot (U+000D)" in html.unescape(response.content.decode())
    assert not User.objects.exists()


@pytest.mark.django_db
def test_admin_refuses_a_bidi_override_in_a_name(client):
    client.force_login(StaffFactory())

    response = client.post(
        reverse("admin:programme_administration_add"),
        {"name": "Ministère\u202e de la Culture", "kind": "ministere"},
    )

    assert response.status_code == 200
    assert "U+202E" in html.unescape(response.content.decode())
    assert not Administration.objects.exists()


def _text_fields():
    for model in apps.get_models():
        if model._meta.app_label in OUR_APPS:
            for field in model._meta.get_fields():
                if isinstance(field, models.TextField):
                    yield field


@pytest.mark.parametrize("field", list(_text_fields()), ids=str)
def test_every_free_text_field_has_a_maximum(field):
    limited = field.max_length or any(
        isinstance(validator, MaxLengthValidator) for validator in field.validators
    )

    assert limited


@pytest.mark.parametrize("form_class", list(_form_classes()), ids=lambda cls: cls.__qualname__)
def test_every_text_field_of_every_form_has_a_maximum(form_class):
    model = getattr(getattr(form_class, "_meta", None), "model", None)

    def bounded(name, field):
        # A ModelForm also runs its model field's validators; passwords are hashed, not kept.
        model_validators = []
        if model is not None and name in {f.name for f in model._meta.get_fields()}:
            model_validators = model._meta.get_field(name).validators
        return (
            field.max_length is not None
            or isinstance(field.widget, forms.PasswordInput)
            or any(isinstance(v, MaxLengthValidator) for v in model_validators)
        )

    unbounded = [
        name
        for name, field in form_class.base_fields.items()
        if isinstance(field, forms.CharField) and not bounded(name, field)
    ]

    assert unbounded == []


@pytest.mark.django_db
def test_signup_refuses_an_address_longer_than_254_characters(client):
    email = "a" * 60 + "@" + ".".join(["b" * 60] * 4) + ".gouv.fr"

    response = client.post(
        reverse("account_signup"),
        {
            "first_name": "Inès",
            "last_name": "Durand",
            "email": email,
            "role": "agent",
            "password1": PASSWORD,
            "password2": PASSWORD,
        },
    )

    assert response.status_code == 200
    content = html.unescape(response.content.decode())
    assert "au plus 254 caractères (actuellement 312)" in content
    assert not User.objects.exists()


# --- Selects written by the renderer ----------------------------------------------------


class _Choices(models.TextChoices):
    ONE = "1", "Un & deux"
    TWO = "b<", "Bé"


def _selects():
    from django.utils.safestring import mark_safe
    from django.utils.translation import gettext_lazy

    return [
        forms.Select(choices=[("", "---------"), (1, "Un"), (2, "Deux")]),
        forms.Select(choices=_Choices.choices, attrs={"class": "fr-select", "disabled": True}),
        forms.Select(choices=[("Groupe « A »", [(1, "a"), (2, "b")]), (3, "c")]),
        forms.SelectMultiple(choices=[(1, mark_safe("<b>gras</b>")), (2, gettext_lazy("Oui"))]),
        forms.NullBooleanSelect(),
        forms.Select(
            choices=[(1000, 1234.5), ("x", "y")], attrs={"data-x": 'a"b', "hidden": False}
        ),
    ]


@pytest.mark.parametrize(
    ("index", "value"),
    [
        (index, value)
        for index in range(6)
        for value in [None, "", 1, "b<", ["1", "2"], 2]
        # Django's NullBooleanSelect takes one value, never a list.
        if not (index == 4 and isinstance(value, list))
    ],
)
def test_a_select_is_written_as_its_templates_write_it(index, value):
    from django.forms.renderers import get_default_renderer

    from eig.forms import select_html

    widget = _selects()[index]
    renderer = get_default_renderer()
    context = widget.get_context("choix", value, {"id": "id_choix", "required": True})
    by_templates = super(type(renderer), renderer).render(
        "django/forms/widgets/select.html", context
    )

    assert select_html(context["widget"]) == by_templates
    assert widget.render("choix", value, renderer=renderer) == widget.render(
        "choix", value, renderer=forms.renderers.DjangoTemplates()
    ).replace("---------", "Choisir…")


# The loop `choice_inputs` replaced in templates/dsfr_crispy/fields/choices.html.
_CHOICES_LOOP = """{% load l10n crispy_forms_filters %}
  {% for group, options, index in field|optgroups %}
    {% for option in options %}
      <div class="fr-fieldset__element{% if inline_class %} fr-fieldset__element--inline{% endif %}">
        <div class="{% if choice_type == 'radio' %}fr-radio-group{% else %}fr-checkbox-group{% endif %}">
          <input type="{{ option.type }}" name="{{ option.name }}" value="{{ option.value|unlocalize }}"{{ option.attrs|flatatt }}>
          <label class="fr-label" for="{{ option.attrs.id }}">{{ option.label }}</label>
        </div>
      </div>
    {% endfor %}
  {% endfor %}"""  # noqa: E501 (the template's own lines)


class _ChoicesForm(forms.Form):
    one = forms.ChoiceField(
        choices=[("a", "Un & deux"), ("b", "Bé"), (3, 1234.5)], widget=forms.RadioSelect
    )
    many = forms.MultipleChoiceField(
        choices=[("Groupe", [("x", "<x>"), ("y", "y")]), ("z", "z")],
        widget=forms.CheckboxSelectMultiple,
    )
    members = forms.ModelMultipleChoiceField(
        queryset=Administration.objects.order_by("pk"), widget=forms.CheckboxSelectMultiple
    )


@pytest.mark.django_db
@pytest.mark.parametrize("data", [None, {"one": "b", "many": ["x", "z"]}])
@pytest.mark.parametrize("inline", ["", "inline"])
def test_choice_inputs_write_what_the_template_loop_wrote(data, inline):
    from django.template import Context, Template
    from django.test.html import parse_html

    from eig.formtags import choice_inputs

    Administration.objects.create(name="Ministère « test »", kind=Administration.Kind.MINISTRY)
    form = _ChoicesForm(data, auto_id="id_%s")
    for name, kind in [("one", "radio"), ("many", "checkbox"), ("members", "checkbox")]:
        field = form[name]
        context = Context({"field": field, "choice_type": kind, "inline_class": inline})
        loop = Template(_CHOICES_LOOP).render(context)

        assert parse_html(choice_inputs(field, kind, inline)) == parse_html(loop)


# The loop `filter_options` replaced in templates/includes/filter_select.html.
_OPTIONS_LOOP = """{% for value, label in field.field.choices %}
  <option value="{{ value }}"{% if value|stringformat:"s" == field.value|default_if_none:""|stringformat:"s" %} selected{% endif %}>{{ label }}</option>
{% endfor %}"""  # noqa: E501 (the template's own lines)


class _FilterForm(forms.Form):
    metier = forms.ChoiceField(
        choices=[("", "Tous"), ("dev", "Développement & <code>"), ("data", "Données")],
        required=False,
    )
    defi = forms.TypedChoiceField(
        choices=[("", "Tous"), (3, "Défi n° 3"), (12, "« Défi » 12")], coerce=int, required=False
    )
    # As django-filter's model choice filters (the catalogue's promotions).
    administration = forms.ModelChoiceField(
        queryset=Administration.objects.order_by("pk"), required=False, empty_label="Toutes"
    )


@pytest.mark.django_db
@pytest.mark.parametrize(
    "data", [None, {}, {"metier": "data", "defi": "12"}, {"metier": "nope", "defi": "3"}]
)
def test_filter_options_write_what_the_template_loop_wrote(data):
    from django.template import Context, Template
    from django.test.html import parse_html

    from eig.formtags import filter_options

    first = Administration.objects.create(
        name="Ministère « A » & co", kind=Administration.Kind.MINISTRY
    )
    Administration.objects.create(name="Direction B", kind=Administration.Kind.MINISTRY)
    if data:
        data = {**data, "administration": str(first.pk)}
    form = _FilterForm(data)
    for name in ("metier", "defi", "administration"):
        field = form[name]
        loop = Template(_OPTIONS_LOOP).render(Context({"field": field}))

        assert parse_html(filter_options(field)) == parse_html(loop)
    if data and data["metier"] == "data":
        assert 'value="data" selected' in filter_options(form["metier"])
