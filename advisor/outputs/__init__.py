"""What a recommendation becomes on disk: the output folder and the search-tool exports."""

from advisor.outputs.exports import FORMATS, render_exports
from advisor.outputs.files import write_outputs

__all__ = ["FORMATS", "render_exports", "write_outputs"]
