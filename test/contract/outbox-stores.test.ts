/** Both outbox stores run the same contract. */
import { openSegmentLog } from '../../src/outbox/segment-log.js';
import { openSqliteStore } from '../../src/outbox/sqlite-store.js';
import { outboxStoreContract } from './outbox-store.contract.js';

outboxStoreContract('segment-log', openSegmentLog);
outboxStoreContract('sqlite', openSqliteStore);
