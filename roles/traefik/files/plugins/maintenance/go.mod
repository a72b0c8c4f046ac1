module odoo-ops.local/traefik/maintenance

go 1.22
