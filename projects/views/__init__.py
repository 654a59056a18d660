"""Views of the projects app: `defis` (agents and the public) and `jury` (the pitch deck a
juror opens from the engine's evaluation page). The jury's screens are in `eig/jury/views/`."""
