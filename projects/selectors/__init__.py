"""Reads of the projects app, by concern: `defis` (access, completeness, history, the défi
side of the jury), `calls` (calls and the public catalogue), `simulation` (a défi's costs),
`personal_data` (the export). Import from the module itself."""
