import { Schema, isValidObjectId, type Connection, type Model } from 'mongoose';
import type { PollRecord, PollRepository, PollTally } from '../live/polls';
import { isDuplicateKey } from './mongo-errors';
import type { WriteGate } from './write-gate';

type PollDoc = Omit<PollRecord, 'id'>;
interface VoteDoc {
  pollId: string;
  seminarId: string;
  userId: string;
  choices: number[];
  at: Date;
}

const pollSchema = new Schema<PollDoc>(
  {
    seminarId: String,
    question: String,
    options: [String],
    multiple: Boolean,
    showResults: String,
    status: String,
    createdAt: Date,
    openedOffsetMs: { type: Number, default: null },
    closedOffsetMs: { type: Number, default: null },
    counts: { type: [Number], default: null },
    voters: { type: Number, default: null },
  },
  { versionKey: false },
);
pollSchema.index({ seminarId: 1, createdAt: 1 });

const voteSchema = new Schema<VoteDoc>(
  { pollId: String, seminarId: String, userId: String, choices: [Number], at: Date },
  { versionKey: false },
);
// One vote per user per poll: an insert under a unique index holds on MongoDB and FerretDB alike,
// where a read-then-write or an update's condition would not (see write-gate.ts).
voteSchema.index({ pollId: 1, userId: 1 }, { unique: true });
voteSchema.index({ seminarId: 1, userId: 1 });

function model<T>(connection: Connection, name: string, schema: Schema<T>, collection: string): Model<T> {
  return (connection.models[name] as Model<T> | undefined) ?? connection.model<T>(name, schema, collection);
}

function record(doc: PollDoc & { _id: unknown }): PollRecord {
  const { _id, ...rest } = doc;
  return { ...rest, id: String(_id), counts: rest.counts?.length ? rest.counts : null };
}

export class MongoPollRepository implements PollRepository {
  private constructor(
    private readonly polls: Model<PollDoc>,
    private readonly votes: Model<VoteDoc>,
    private readonly gate: WriteGate,
  ) {}

  static create(connection: Connection, gate: WriteGate): MongoPollRepository {
    return new MongoPollRepository(
      model(connection, 'Poll', pollSchema, 'live_polls'),
      model(connection, 'PollVote', voteSchema, 'live_poll_votes'),
      gate,
    );
  }

  ensureIndexes(): Promise<unknown> {
    return Promise.all([this.polls.createIndexes(), this.votes.createIndexes()]);
  }

  async create(p: Omit<PollRecord, 'id' | 'status' | 'openedOffsetMs' | 'closedOffsetMs' | 'counts' | 'voters'>): Promise<PollRecord> {
    const doc = await this.polls.create({ ...p, status: 'draft', openedOffsetMs: null, closedOffsetMs: null, counts: null, voters: null });
    return record(doc.toObject());
  }

  async get(seminarId: string, pollId: string): Promise<PollRecord | null> {
    if (!isValidObjectId(pollId)) return null;
    const doc = await this.polls.findOne({ _id: pollId, seminarId }).lean();
    return doc ? record(doc) : null;
  }

  async list(seminarId: string): Promise<PollRecord[]> {
    return (await this.polls.find({ seminarId }).sort({ createdAt: 1 }).lean()).map(record);
  }

  count(seminarId: string): Promise<number> {
    return this.polls.countDocuments({ seminarId });
  }

  async markOpen(pollId: string, offsetMs: number): Promise<boolean> {
    const res = await this.gate.run(`poll:${pollId}`, () =>
      this.polls.updateOne({ _id: pollId, status: 'draft' }, { $set: { status: 'open', openedOffsetMs: offsetMs } }),
    );
    return res.modifiedCount === 1;
  }

  async markClosed(pollId: string, offsetMs: number, tally: PollTally): Promise<boolean> {
    const res = await this.gate.run(`poll:${pollId}`, () =>
      this.polls.updateOne(
        { _id: pollId, status: 'open' },
        { $set: { status: 'closed', closedOffsetMs: offsetMs, counts: tally.counts, voters: tally.voters } },
      ),
    );
    return res.modifiedCount === 1;
  }

  async addVote(v: VoteDoc): Promise<boolean> {
    try {
      await this.votes.create(v);
      return true;
    } catch (err) {
      if (isDuplicateKey(err)) return false;
      throw err;
    }
  }

  async tally(pollId: string, options: number): Promise<PollTally> {
    const counts = new Array<number>(options).fill(0);
    let voters = 0;
    // A cursor: a poll of thousands of voters is counted without holding their votes.
    for await (const vote of this.votes.find({ pollId }, { choices: 1, _id: 0 }).lean().cursor()) {
      voters++;
      for (const c of vote.choices) if (c >= 0 && c < options) counts[c]!++;
    }
    return { counts, voters };
  }

  async choicesOf(seminarId: string, userId: string): Promise<Map<string, number[]>> {
    const votes = await this.votes.find({ seminarId, userId }, { pollId: 1, choices: 1, _id: 0 }).lean();
    return new Map(votes.map((v) => [v.pollId, v.choices]));
  }
}
