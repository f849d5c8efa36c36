"""The workbook: its layout, reading it safely, checking it, annotating it, writing the template."""
