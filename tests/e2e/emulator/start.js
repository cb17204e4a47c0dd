// Starts telegram-test-api (a Telegram Bot API emulator we did not write) on 127.0.0.1.
// Usage: node start.js PORT — prints "listening PORT" once it accepts connections; stops on SIGTERM.
const TelegramServer = require('telegram-test-api');

const port = Number(process.argv[2] || 9000);
const server = new TelegramServer({ port, host: '127.0.0.1', storeTimeout: 600 });
server.start().then(() => console.log(`listening ${port}`));
const stop = () => server.stop().then(() => process.exit(0));
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
