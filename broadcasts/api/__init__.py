"""The broadcasts' API: templates, campaigns through their states, emergency alerts. Thin views
over the services, which check the same permissions as in the admin (a token holds its role's).
One module per resource (templates, campaigns, alerts); the composition root
(`urp_portal/api/urls.py`) imports the views from them."""
