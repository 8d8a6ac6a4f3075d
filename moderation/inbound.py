"""This app's steps of the inbound pipeline (DESIGN.md)."""

from urp_portal.gateway.pipeline import PipelineContext, Step


def drop_if_blocked(message, context: PipelineContext) -> Step:
    return Step.CONTINUE


def screen(message, context: PipelineContext) -> Step:
    return Step.CONTINUE
