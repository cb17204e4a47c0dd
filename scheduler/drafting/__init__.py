"""Drafting a register from a document: reading .txt/.docx/.pdf, finding tasks and deadlines, the draft file."""
