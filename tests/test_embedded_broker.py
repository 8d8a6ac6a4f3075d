from kombu import Connection

from urp_portal.embedded_broker import Transport


def _connection(folder):
    return Connection(
        "filesystem://",
        transport=Transport,
        transport_options={"data_folder_in": str(folder), "data_folder_out": str(folder)},
    )


def test_a_message_is_written_whole_under_its_final_name(tmp_path):
    with _connection(tmp_path) as connection:
        queue = connection.SimpleQueue("urp-test")
        queue.put({"ticket": 1})

        names = [path.name for path in tmp_path.iterdir()]
        received = queue.get(timeout=1).payload
        queue.close()

    assert len(names) == 1 and names[0].endswith(".urp-test.msg")
    assert received == {"ticket": 1}


def test_a_message_still_being_written_is_not_taken_by_a_reader(tmp_path):
    # What a writer leaves while its bytes are on their way: the name readers must not claim.
    (tmp_path / "1_x.urp-test.msg.part").write_bytes(b"")
    with _connection(tmp_path) as connection:
        queue = connection.SimpleQueue("urp-test")
        queue.put({"ticket": 2})

        received = queue.get(timeout=1).payload
        queue.close()

    assert received == {"ticket": 2}
    assert (tmp_path / "1_x.urp-test.msg.part").exists()
