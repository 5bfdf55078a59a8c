"""Operations that change data. Views and the worker call these; each writes the audit trail."""
