"""mockllm in a unittest suite, without pytest. Run: python -m unittest examples/test_embedded_unittest.py"""

import unittest
from pathlib import Path

from mockllm import MockServer

HERE = Path(__file__).resolve().parent


class WeatherBotTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        # One server for the class; file fixtures stay loaded, reset() clears what each test scripts.
        cls.server = MockServer(fixtures=[HERE / "llm-fixtures"], seed=3)
        cls.llm = cls.server.start()

    @classmethod
    def tearDownClass(cls):
        cls.server.stop()

    def setUp(self):
        self.llm.reset()

    def test_file_fixture_answers(self):
        client = self.llm.client()
        out = client.chat.completions.create(model="gpt-4o-mini", messages=[{"role": "user", "content": "weather?"}])
        self.assertEqual(out.choices[0].message.content, "Sunny, 21 °C.")
        self.llm.assert_called_once(fixture="weather")

    def test_scripted_failure(self):
        import openai

        self.llm.on(user="weather").fail("rate_limit")  # routes outrank file fixtures
        with self.assertRaises(openai.RateLimitError):
            self.llm.client().chat.completions.create(
                model="gpt-4o-mini", messages=[{"role": "user", "content": "weather?"}]
            )
        self.assertEqual(self.llm.last_request.status, 429)


if __name__ == "__main__":
    unittest.main()
