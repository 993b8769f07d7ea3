"""``ModelHubServer``: the ``jupyter_server`` extension app that mounts the REST routes."""

from __future__ import annotations

from jupyter_server.extension.application import ExtensionApp
from traitlets import Enum, Int, Unicode, default

from .handlers import HANDLERS
from .host_pool import default_limit
from .recent import RECENT_HANDLERS
from .state import ServerState
from .views import VIEW_HANDLERS
from .widget_host import WIDGET_HANDLERS


class ModelHubServer(ExtensionApp):
    """REST routes under ``/modelhub/api/`` and metrics at ``/modelhub/metrics``.

    Configure with ``c.ModelHubServer.home = "/path/to/store"`` (default ``$MODELHUB_HOME`` or
    ``~/.modelhub``).
    """

    name = "modelhub_jupyter.server"
    load_other_extensions = True

    home = Unicode("", help="The modelhub home (store) the routes read; default $MODELHUB_HOME.").tag(
        config=True
    )

    viewer = Enum(
        ["auto", "user", "owner"],
        default_value="auto",
        help="Whose access-control view each request gets: 'user' the Jupyter user's (username and "
        "groups), 'owner' everything (the store owner's), 'auto' 'user' unless the server runs "
        "jupyter_server's own single-user token/password identity.",
    ).tag(config=True)

    max_hosted_panels = Int(
        help="How many main-area ModelHub views (each a panel in this server) one user may hold open; "
        "opening one more closes that user's least recently used. 0: no limit. Default "
        "$MODELHUB_HOSTED_PANELS or 16.",
    ).tag(config=True)

    @default("max_hosted_panels")
    def _default_max_hosted_panels(self) -> int:
        return default_limit()

    def initialize_settings(self) -> None:
        self.settings["modelhub"] = ServerState(
            self.home or None, viewer_mode=self.viewer, max_hosted_panels=self.max_hosted_panels
        )

    def initialize_handlers(self) -> None:
        self.handlers.extend(HANDLERS)
        self.handlers.extend(VIEW_HANDLERS)
        self.handlers.extend(WIDGET_HANDLERS)
        self.handlers.extend(RECENT_HANDLERS)
