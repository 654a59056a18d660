import re
from pathlib import Path

import pytest
from django.conf import settings

from eig.security import permissions_policy_header

TEMPLATES = Path(settings.BASE_DIR) / "templates"
# Rendered to PDF by WeasyPrint or sent as mail, never served to a browser.
NOT_SERVED = ("emails/", "funding/pdf/", "funding/convention_pdf.html", "jury/decision_record.html")
INLINE_SCRIPT = re.compile(r"<script\b(?![^>]*\bsrc=)(?![^>]*type=\"application/json\")[^>]*>")
INLINE_HANDLER = re.compile(r"<[a-z][^>]*\son[a-z]+=", re.IGNORECASE)
STYLE_ATTRIBUTE = re.compile(r"<[a-z][^>]*\sstyle=", re.IGNORECASE)


@pytest.mark.django_db
def test_pages_send_a_content_security_policy_without_unsafe_inline(client):
    response = client.get("/")

    policy = dict(
        directive.strip().split(" ", 1)
        for directive in response.headers["Content-Security-Policy"].split(";")
    )
    assert policy["script-src"] == "'self' 'report-sample'"
    assert policy["style-src"] == "'self' 'report-sample'"
    assert policy["object-src"] == "'none'"
    assert policy["frame-ancestors"] == "'none'"
    assert "unsafe-inline" not in response.headers["Content-Security-Policy"]


@pytest.mark.django_db
def test_pages_send_a_permissions_policy_refusing_devices(client):
    response = client.get("/")

    features = response.headers["Permissions-Policy"].split(", ")
    for feature in ("camera=()", "microphone=()", "geolocation=()", "payment=()", "usb=()"):
        assert feature in features


@pytest.mark.django_db
def test_admin_login_sends_both_policies(client):
    response = client.get("/admin/login/", follow=True)

    assert "'unsafe-inline'" not in response.headers["Content-Security-Policy"]
    assert "camera=()" in response.headers["Permissions-Policy"]


@pytest.mark.django_db
def test_debug_error_pages_are_exempt_but_not_the_site_404(client, settings):
    assert "Content-Security-Policy" in client.get("/page-inexistante/").headers

    settings.DEBUG = True
    response = client.get("/page-inexistante/")

    assert response.status_code == 404
    assert "Content-Security-Policy" not in response.headers
    assert "Content-Security-Policy" in client.get("/").headers


def test_permissions_policy_header_lists_allowed_origins():
    header = permissions_policy_header({"camera": [], "fullscreen": ["self"]})

    assert header == "camera=(), fullscreen=(self)"


def test_served_templates_have_no_inline_script_handler_or_style():
    found = []
    for path in sorted(TEMPLATES.rglob("*.html")):
        name = path.relative_to(TEMPLATES).as_posix()
        if name.startswith(NOT_SERVED):
            continue
        text = path.read_text()
        for pattern in (INLINE_SCRIPT, INLINE_HANDLER, STYLE_ATTRIBUTE, re.compile("<style")):
            found += [f"{name}: {match.group(0)}" for match in pattern.finditer(text)]

    assert found == []
