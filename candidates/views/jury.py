"""What jurors read of an application beyond the engine's evaluation page: its CV."""

from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404

from candidates.jury import CANDIDATE_JURY
from eig.jury.screens import get_evaluation_for_juror


@login_required
def evaluation_cv(request, pk):
    """The CV of the application the juror evaluates: the evaluation's access rule is the
    CV's (the juror it is given to, without conflict). An anonymous call's jurors get the
    anonymised CV only, never the original: 404 when the candidate gave none."""
    evaluation = get_evaluation_for_juror(CANDIDATE_JURY, request.user, pk)
    application = evaluation.application
    anonymous = CANDIDATE_JURY.is_anonymous(evaluation.member.jury)
    cv = application.cv_anonymised if anonymous else application.cv
    if not cv:
        raise Http404
    return FileResponse(
        cv.open("rb"),
        content_type="application/pdf",
        as_attachment=False,
        filename=f"candidature-{application.pk}-cv{'-anonymise' if anonymous else ''}.pdf",
    )
