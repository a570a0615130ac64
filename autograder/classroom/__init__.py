"""Classroom grading: an nbgrader course built from the lessons, the workbook's nbgrader steps,
parallel grading, and the confinement every submitted answer runs in."""
