"""Files people open (HTML, PDF, XLSX, CSV) written so agency text stays data (privacy rule 7).

``rendering``: Jinja environments with autoescape on and the pages' Content-Security-Policy;
``cells``: spreadsheet and CSV values that are never formulas. A bottom layer: it imports nothing
of the project, and packets, reports, the review app and the CLI's file outputs all use it.
"""
