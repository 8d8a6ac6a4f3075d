"""The ground every app stands on, and that stands on nothing of ours: the one user error, the
append-only bases and who acted. Django's own packages only (DESIGN.md, "Dependencies run one
way")."""
