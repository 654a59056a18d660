"""What jurors read of a défi beyond the engine's evaluation page: its pitch deck."""

from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404

from eig.jury.screens import get_evaluation_for_juror
from projects.jury import DEFI_JURY


@login_required
def evaluation_pitch_deck(request, pk):
    # The evaluation's access rule is the deck's: the juror it is given to, without conflict.
    defi = get_evaluation_for_juror(DEFI_JURY, request.user, pk).defi
    if not defi.pitch_deck:
        raise Http404
    return FileResponse(
        defi.pitch_deck.open("rb"),
        content_type="application/pdf",
        as_attachment=False,
        filename=f"defi-{defi.pk}-presentation.pdf",
    )
