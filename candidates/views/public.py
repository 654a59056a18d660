"""Public pages of the calls for candidates: the calls, one call, the positions it offers."""

from django.core.paginator import Paginator
from django.shortcuts import render
from django.utils import timezone

from candidates.filters import CallDefiFilter
from candidates.selectors import (
    candidate_call_defis,
    candidate_call_detail,
    candidate_call_list,
    candidate_call_themes,
    faq_for_candidates,
)
from eig.permissions import require_perm

DEFIS_PAGE_SIZE = 12


def call_list(request):
    return render(
        request,
        "candidates/call_list.html",
        {"calls": candidate_call_list(), "title": "Les appels à candidatures"},
    )


def call_detail(request, slug):
    call = candidate_call_detail(slug)
    require_perm(request.user, "candidates.read_call", call)
    now = timezone.now()
    return render(
        request,
        "candidates/call_detail.html",
        {
            "call": call,
            "is_open": call.is_open(now),
            "now": now,
            "defi_count": candidate_call_defis(call).count(),
            "faq": faq_for_candidates(),
            "title": call.title,
        },
    )


def call_defis(request, slug):
    call = candidate_call_detail(slug)
    require_perm(request.user, "candidates.read_call", call)
    filterset = CallDefiFilter(
        request.GET, queryset=candidate_call_defis(call), themes=candidate_call_themes(call)
    )
    page = Paginator(filterset.qs, DEFIS_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "candidates/call_defis.html",
        {
            "call": call,
            "filter": filterset,
            "filtered": any(request.GET.get(name) for name in filterset.filters),
            "page_obj": page,
            "title": f"Les défis et leurs postes – {call.title}",
        },
    )
