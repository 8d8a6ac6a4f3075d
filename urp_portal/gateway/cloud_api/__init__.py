"""Reading the WhatsApp Cloud API's webhook bodies (Meta's, and the simulator's, which speaks the
same format): the envelope and its changes (`envelope`), one parser per message family
(`messages`), and the cleaning every value goes through before it reaches the database
(`safe_values`). The adapters call `parse_cloud_api_body`; nothing here writes anything."""

from .envelope import parse_cloud_api_body

__all__ = ["parse_cloud_api_body"]
