"""Training health in the window: each epoch's signs (dlstudio/train/health_signs.py) as
amber badges on their nodes and lines in Problems, each with its one-click fixes, every
fix one undo step (see docs/training-ui.md, "Training health")."""
