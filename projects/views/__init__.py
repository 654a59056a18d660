"""Views of the projects app, one module per audience: `defis` (agents and the public),
`jury` (jurors scoring their dossiers), `selection` (staff: assignment, ranking, hearings,
deliberation)."""
