"""botdesk's own embeddable web chat: the `/frame` page, the `/widget.js` loader, and the
anonymous visitor's message and live-stream endpoints (mounted by `botdesk.widget.routes`)."""
