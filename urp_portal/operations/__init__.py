"""Operations commands of the composition root (it may name every app): `check_config`."""
