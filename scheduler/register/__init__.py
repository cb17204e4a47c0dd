"""The register: its tables, the one definition of a task's state, the register file and its formats, import,
status changes, people and recipients, unit names.
"""
