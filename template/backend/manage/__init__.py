"""The project's management CLI (`manage`): module skeletons and the guideline checks."""
