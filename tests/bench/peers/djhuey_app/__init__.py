"""The bare djhuey peer's one app: its `tasks` module is autodiscovered by djhuey."""
