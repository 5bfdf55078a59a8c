"""Custom Rasa actions (rasa-sdk). Thin: every desk call goes through desk_client."""
