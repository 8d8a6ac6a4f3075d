"""This app's steps of the inbound pipeline (DESIGN.md)."""

from urp_portal.gateway.pipeline import PipelineContext, Step


def keywords(message, context: PipelineContext) -> Step:
    return Step.CONTINUE


def identity(message, context: PipelineContext) -> Step:
    return Step.CONTINUE
