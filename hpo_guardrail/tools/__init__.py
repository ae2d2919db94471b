"""Maintainer tools: the price table refresh and the generated reference documents."""
