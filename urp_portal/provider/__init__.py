"""The provider's administrators: the province, in-house company or vendor that runs one
deployment for many comuni (issue #24). They add comuni, bind their WhatsApp numbers, create
each comune's first administrator and watch the comuni's health, in counts only: no citizen's
message, name or number is ever on their pages, and without a comune's membership and role
they open none of its tickets, subscribers or messages.

A package beside `reports` (not a Django app: no models), standing on every app as the
composition root does, since its health page counts what each app keeps."""
