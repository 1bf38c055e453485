import { Schema, Types, isValidObjectId, type Connection, type Model } from 'mongoose';
import type { DeckRecord, SlideChangeRecord, SlideRepository } from '../slides/service';

type DeckDoc = Omit<DeckRecord, 'id'>;

const deckSchema = new Schema<DeckDoc>(
  { seminarId: String, name: String, pageCount: Number, titles: [String], createdAt: Date },
  { versionKey: false },
);
deckSchema.index({ seminarId: 1, createdAt: 1 });

const changeSchema = new Schema<SlideChangeRecord>(
  { seminarId: String, deckId: String, page: Number, offsetMs: Number, at: Date },
  { versionKey: false },
);
changeSchema.index({ seminarId: 1, at: 1 });

function model<T>(connection: Connection, name: string, schema: Schema<T>, collection: string): Model<T> {
  return (connection.models[name] as Model<T> | undefined) ?? connection.model<T>(name, schema, collection);
}

function deck(doc: DeckDoc & { _id: unknown }): DeckRecord {
  const { _id, ...rest } = doc;
  return { ...rest, id: String(_id) };
}

function change(doc: SlideChangeRecord): SlideChangeRecord {
  return { seminarId: doc.seminarId, deckId: doc.deckId, page: doc.page, offsetMs: doc.offsetMs, at: doc.at };
}

export class MongoSlideRepository implements SlideRepository {
  private constructor(
    private readonly decksModel: Model<DeckDoc>,
    private readonly changesModel: Model<SlideChangeRecord>,
  ) {}

  static create(connection: Connection): MongoSlideRepository {
    return new MongoSlideRepository(
      model(connection, 'SlideDeck', deckSchema, 'slide_decks'),
      model(connection, 'SlideChange', changeSchema, 'slide_changes'),
    );
  }

  ensureIndexes(): Promise<unknown> {
    return Promise.all([this.decksModel.createIndexes(), this.changesModel.createIndexes()]);
  }

  newDeckId(): string {
    return new Types.ObjectId().toString();
  }

  async createDeck(d: DeckRecord): Promise<DeckRecord> {
    const { id, ...rest } = d;
    return deck((await this.decksModel.create({ _id: id, ...rest })).toObject());
  }

  async deleteDeck(deckId: string): Promise<void> {
    await this.decksModel.deleteOne({ _id: deckId });
    await this.changesModel.deleteMany({ deckId });
  }

  async getDeck(deckId: string): Promise<DeckRecord | null> {
    if (!isValidObjectId(deckId)) return null;
    const doc = await this.decksModel.findById(deckId).lean();
    return doc ? deck(doc) : null;
  }

  async decks(seminarId: string): Promise<DeckRecord[]> {
    return (await this.decksModel.find({ seminarId }).sort({ createdAt: 1 }).lean()).map(deck);
  }

  countDecks(seminarId: string): Promise<number> {
    return this.decksModel.countDocuments({ seminarId });
  }

  async addChange(c: SlideChangeRecord): Promise<void> {
    await this.changesModel.create(c);
  }

  async changes(seminarId: string): Promise<SlideChangeRecord[]> {
    return (await this.changesModel.find({ seminarId }).sort({ at: 1 }).lean()).map(change);
  }

  async latestChange(seminarId: string): Promise<SlideChangeRecord | null> {
    const doc = await this.changesModel.findOne({ seminarId }).sort({ at: -1 }).lean();
    return doc ? change(doc) : null;
  }
}
