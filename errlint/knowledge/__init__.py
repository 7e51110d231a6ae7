"""Shared knowledge as plain data: what counts as test code, value detectors for secrets and
personal data, and other vocabularies used by rules and by the review's redactor alike.

Each module here is data plus small pure functions over it; none imports libcst or a rule.
"""
