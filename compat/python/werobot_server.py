"""A WeRoBot 1.13 developer server in safe mode, for the Node.js browser journeys: started with
the account's AppID, it prints its URL on the first line and serves until killed. Text gets
"werobot: <text>", a follow "welcome, <openid>", a CLICK "clicked <key>"."""

import sys
from wsgiref.simple_server import WSGIRequestHandler, make_server

import werobot

TOKEN = "robottoken42"
AES_KEY = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"


class Quiet(WSGIRequestHandler):
    def log_message(self, *args):
        pass


def make_robot(appid):
    robot = werobot.WeRoBot(token=TOKEN, app_id=appid, encoding_aes_key=AES_KEY, SESSION_STORAGE=False)

    @robot.subscribe
    def welcome(message):
        return "welcome, " + message.source

    @robot.text
    def echo(message):
        return "werobot: " + message.content

    @robot.click
    def clicked(message):
        return "clicked " + message.key

    return robot


def make_app(appid):
    """For WSGI servers (gunicorn 'werobot_server:make_app("wx…")')."""
    return make_robot(appid).wsgi


def main(appid):
    robot = make_robot(appid)
    srv = make_server("127.0.0.1", 0, robot.wsgi, handler_class=Quiet)
    print("http://127.0.0.1:%d/wx" % srv.server_port, flush=True)
    srv.serve_forever()


if __name__ == "__main__":
    main(sys.argv[1])
