"""Riddlewire's desktop app (PySide6). It shows things and runs engine calls off the UI thread;
business rules live in engine/."""
