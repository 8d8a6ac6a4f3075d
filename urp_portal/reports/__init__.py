"""The comune's yearly (and monthly) figures for its activity report (issue #22, point 6): a
page, a CSV file and a spreadsheet. Part of the composition root: they span every app."""
