"""Italian public software conventions (issue #22, point 7): the accessibility statement after
AgID's model (L. 4/2004) and the operator's guide, both reached from the console's top bar;
publiccode.yml at the repository's root (CAD art. 69) is checked by conventions.publiccode."""
